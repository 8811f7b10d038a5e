"""Optuna side of `npm run bench:sweeps` (test/bench/sweeps.ts runs it).

Runs Optuna's RandomSampler and TPESampler (defaults, seeded) on the same test functions, bounds and
budgets as our strategies, in one process, and prints JSON: for each problem and method, per seed,
the regret (best so far minus the known optimum) after each of the given budgets.
Reference only (Debian python3-optuna 3.1); never part of the product.

usage: python3 sweeps_optuna.py <n_seeds> <n_trials> <budgets comma-separated>
"""
import json
import math
import sys
import time

import numpy as np
import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)

PI = math.pi


def branin(x):
    x1, x2 = x
    b, c, t = 5.1 / (4 * PI**2), 5 / PI, 1 / (8 * PI)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def hartmann(alpha, A, P):
    def f(x):
        return -sum(a * math.exp(-sum(Aij * (xj - Pij) ** 2 for Aij, xj, Pij in zip(Ai, x, Pi)))
                    for a, Ai, Pi in zip(alpha, A, P))
    return f


H_ALPHA = [1.0, 1.2, 3.0, 3.2]
H3_A = [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]]
H3_P = [[1e-4 * v for v in r] for r in [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]]
H6_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H6_P = [[1e-4 * v for v in r] for r in [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                                        [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]]


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def levy(x):
    w = [1 + (v - 1) / 4 for v in x]
    s = math.sin(PI * w[0]) ** 2
    s += sum((wi - 1) ** 2 * (1 + 10 * math.sin(PI * wi + 1) ** 2) for wi in w[:-1])
    return s + (w[-1] - 1) ** 2 * (1 + math.sin(2 * PI * w[-1]) ** 2)


def ackley(x):
    d = len(x)
    return (-20 * math.exp(-0.2 * math.sqrt(sum(v * v for v in x) / d))
            - math.exp(sum(math.cos(2 * PI * v) for v in x) / d) + 20 + math.e)


def styblinski_tang(x):
    return 0.5 * sum(v**4 - 16 * v * v + 5 * v for v in x)


def six_hump_camel(x):
    x1, x2 = x
    return (4 - 2.1 * x1 * x1 + x1**4 / 3) * x1 * x1 + x1 * x2 + (-4 + 4 * x2 * x2) * x2 * x2


SHEKEL_BETA = [0.1 * v for v in [1, 2, 2, 4, 4, 6, 3, 7, 5, 5]]
SHEKEL_C = [[4, 1, 8, 6, 3, 2, 5, 8, 6, 7], [4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6],
            [4, 1, 8, 6, 3, 2, 5, 8, 6, 7], [4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6]]


def shekel5(x):
    return -sum(1 / (sum((x[j] - SHEKEL_C[j][i]) ** 2 for j in range(4)) + SHEKEL_BETA[i]) for i in range(5))


# name, function, bounds, known minimum — must match PROBLEMS in sweeps.ts
PROBLEMS = [
    ("branin", branin, [(-5, 10), (0, 15)], 0.397887357729738),
    ("hartmann3", hartmann(H_ALPHA, H3_A, H3_P), [(0, 1)] * 3, -3.86278214782076),
    ("hartmann6", hartmann(H_ALPHA, H6_A, H6_P), [(0, 1)] * 6, -3.32236801141551),
    ("rosenbrock2", rosenbrock, [(-5, 10)] * 2, 0.0),
    ("levy5", levy, [(-10, 10)] * 5, 0.0),
    ("ackley2", ackley, [(-32.768, 32.768)] * 2, 0.0),
    ("styblinski_tang2", styblinski_tang, [(-5, 5)] * 2, -78.33233140754284),
    ("six_hump_camel", six_hump_camel, [(-3, 3), (-2, 2)], -1.031628453489877),
    ("shekel5", shekel5, [(0, 10)] * 4, -10.1531996790582),
]


def run(fn, bounds, optimum, sampler, n_trials, budgets):
    study = optuna.create_study(sampler=sampler, direction="minimize")

    def objective(trial):
        return fn([trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)])

    study.optimize(objective, n_trials=n_trials)
    best = np.minimum.accumulate([t.value for t in study.trials])
    return [float(best[b - 1] - optimum) for b in budgets]


def main():
    n_seeds, n_trials = int(sys.argv[1]), int(sys.argv[2])
    budgets = [int(b) for b in sys.argv[3].split(",")]
    only = sys.argv[4].split(",") if len(sys.argv) > 4 else None
    out = {}
    seconds = {"random": 0.0, "tpe": 0.0}
    for name, fn, bounds, optimum in PROBLEMS:
        if only and name not in only:
            continue
        out[name] = {"random": [], "tpe": []}
        for seed in range(n_seeds):
            for method, make in (("random", optuna.samplers.RandomSampler), ("tpe", optuna.samplers.TPESampler)):
                t0 = time.perf_counter()
                out[name][method].append(run(fn, bounds, optimum, make(seed=seed), n_trials, budgets))
                seconds[method] += time.perf_counter() - t0
    json.dump({"version": optuna.__version__, "seconds": seconds, "regret": out}, sys.stdout)


if __name__ == "__main__":
    main()
