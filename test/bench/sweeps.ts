/**
 * `npm run bench:sweeps`: how well the sweep strategies search, side by side with Optuna 3.1.
 *
 * 1. Nine standard test functions (known minima), 100 trials × 30 seeds, for our random search,
 *    our TPE, Optuna's RandomSampler and Optuna's TPESampler (defaults). Optuna runs in one Python
 *    process (test/bench/sweeps_optuna.py, Debian python3-optuna) alongside our in-process runs.
 *    Prints median regret (best so far − optimum) after 10/25/50/100 trials and one-sided
 *    Mann-Whitney U p-values on the regrets after 100 trials.
 * 2. Early stopping: simulated learning curves, 8 workers on a simulated clock; ASHA (with random
 *    sampling) against full-budget random search: epochs ASHA needs to reach the best objective
 *    that full-budget random search finds, as a fraction of random search's epochs.
 *
 * Needs /usr/bin/python3 with optuna (apt-get install -y python3-optuna). Env: SEEDS (30), TRIALS (100).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SearchSpace } from '../../openapi/schemas/sweep';
import {
  Asha,
  MedianStopping,
  RandomStrategy,
  TpeStrategy,
  ndtr,
  type Params,
  type Scheduler,
  type Strategy,
} from '../../functions/domain/sweeps';

const SEEDS = Number(process.env.SEEDS ?? 30);
const TRIALS = Number(process.env.TRIALS ?? 100);
const BUDGETS = [10, 25, 50, 100].filter((b) => b <= TRIALS);
const ALPHA = 0.05;

// ---------------------------------------------------------------- test functions (as in sweeps_optuna.py)
type Fn = (x: number[]) => number;
const { PI, sin, cos, exp, sqrt } = Math;

const branin: Fn = ([x1, x2]) => {
  const b = 5.1 / (4 * PI ** 2),
    c = 5 / PI,
    t = 1 / (8 * PI);
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * cos(x1) + 10;
};
const hartmann =
  (A: number[][], P: number[][]): Fn =>
  (x) =>
    -[1, 1.2, 3, 3.2].reduce(
      (s, a, i) => s + a * exp(-A[i].reduce((q, Aij, j) => q + Aij * (x[j] - P[i][j] * 1e-4) ** 2, 0)),
      0,
    );
const H3 = hartmann(
  [
    [3, 10, 30],
    [0.1, 10, 35],
    [3, 10, 30],
    [0.1, 10, 35],
  ],
  [
    [3689, 1170, 2673],
    [4699, 4387, 7470],
    [1091, 8732, 5547],
    [381, 5743, 8828],
  ],
);
const H6 = hartmann(
  [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
  ],
  [
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
  ],
);
const rosenbrock: Fn = (x) =>
  x.slice(0, -1).reduce((s, v, i) => s + 100 * (x[i + 1] - v * v) ** 2 + (1 - v) ** 2, 0);
const levy: Fn = (x) => {
  const w = x.map((v) => 1 + (v - 1) / 4);
  const d = w.length;
  return (
    sin(PI * w[0]) ** 2 +
    w.slice(0, -1).reduce((s, wi) => s + (wi - 1) ** 2 * (1 + 10 * sin(PI * wi + 1) ** 2), 0) +
    (w[d - 1] - 1) ** 2 * (1 + sin(2 * PI * w[d - 1]) ** 2)
  );
};
const ackley: Fn = (x) =>
  -20 * exp(-0.2 * sqrt(x.reduce((s, v) => s + v * v, 0) / x.length)) -
  exp(x.reduce((s, v) => s + cos(2 * PI * v), 0) / x.length) +
  20 +
  Math.E;
const styblinskiTang: Fn = (x) => 0.5 * x.reduce((s, v) => s + v ** 4 - 16 * v * v + 5 * v, 0);
const sixHumpCamel: Fn = ([x1, x2]) =>
  (4 - 2.1 * x1 * x1 + x1 ** 4 / 3) * x1 * x1 + x1 * x2 + (-4 + 4 * x2 * x2) * x2 * x2;
const SHEKEL_BETA = [1, 2, 2, 4, 4, 6, 3, 7, 5, 5].map((v) => 0.1 * v);
const SHEKEL_C = [
  [4, 1, 8, 6, 3, 2, 5, 8, 6, 7],
  [4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6],
  [4, 1, 8, 6, 3, 2, 5, 8, 6, 7],
  [4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6],
];
const shekel5: Fn = (x) =>
  -[0, 1, 2, 3, 4].reduce(
    (s, i) => s + 1 / (x.reduce((q, xj, j) => q + (xj - SHEKEL_C[j][i]) ** 2, 0) + SHEKEL_BETA[i]),
    0,
  );

interface Problem {
  name: string;
  fn: Fn;
  bounds: [number, number][];
  optimum: number;
}
const rep = (b: [number, number], n: number): [number, number][] => Array.from({ length: n }, () => b);
const PROBLEMS: Problem[] = [
  {
    name: 'branin',
    fn: branin,
    bounds: [
      [-5, 10],
      [0, 15],
    ],
    optimum: 0.397887357729738,
  },
  { name: 'hartmann3', fn: H3, bounds: rep([0, 1], 3), optimum: -3.86278214782076 },
  { name: 'hartmann6', fn: H6, bounds: rep([0, 1], 6), optimum: -3.32236801141551 },
  { name: 'rosenbrock2', fn: rosenbrock, bounds: rep([-5, 10], 2), optimum: 0 },
  { name: 'levy5', fn: levy, bounds: rep([-10, 10], 5), optimum: 0 },
  { name: 'ackley2', fn: ackley, bounds: rep([-32.768, 32.768], 2), optimum: 0 },
  { name: 'styblinski_tang2', fn: styblinskiTang, bounds: rep([-5, 5], 2), optimum: -78.33233140754284 },
  {
    name: 'six_hump_camel',
    fn: sixHumpCamel,
    bounds: [
      [-3, 3],
      [-2, 2],
    ],
    optimum: -1.031628453489877,
  },
  { name: 'shekel5', fn: shekel5, bounds: rep([0, 10], 4), optimum: -10.1531996790582 },
];

// ---------------------------------------------------------------- statistics
/**
 * One-sided Mann-Whitney U test, H1: values in `x` tend to be larger than in `y`. Normal
 * approximation with tie correction and continuity correction (as scipy's mannwhitneyu,
 * method="asymptotic"). Returns the p-value.
 */
export function mannWhitneyGreater(x: number[], y: number[]): number {
  const all = [...x.map((v) => ({ v, g: 0 })), ...y.map((v) => ({ v, g: 1 }))].sort((a, b) => a.v - b.v);
  const n = all.length;
  const ranks = new Array<number>(n);
  let tie = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && all[j + 1].v === all[i].v) j++;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1;
    const t = j - i + 1;
    tie += t ** 3 - t;
    i = j + 1;
  }
  const n1 = x.length,
    n2 = y.length;
  const r1 = all.reduce((s, a, i) => s + (a.g === 0 ? ranks[i] : 0), 0);
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const sd = sqrt(((n1 * n2) / 12) * (n + 1 - tie / (n * (n - 1))));
  if (sd === 0) return 1;
  return 1 - ndtr((u1 - (n1 * n2) / 2 - 0.5) / sd);
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
};

// ---------------------------------------------------------------- runs
function spaceOf(p: Problem): SearchSpace {
  return Object.fromEntries(
    p.bounds.map(([low, high], i) => [`x${i}`, { type: 'float', low, high, scale: 'linear' }]),
  );
}

/** Regret after each budget of one run. */
function runOurs(p: Problem, s: Strategy): number[] {
  let best = Infinity;
  const curve: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const params = s.suggest(`t${i}`) as Params;
    const value = p.fn(p.bounds.map((_, j) => params[`x${j}`] as number));
    s.observe({ id: `t${i}`, params, state: 'complete', value });
    best = Math.min(best, value);
    curve.push(best - p.optimum);
  }
  return BUDGETS.map((b) => curve[b - 1]);
}

type Results = Record<string, Record<string, number[][]>>; // problem → method → seed → regret per budget

interface OptunaResults {
  version: string;
  seconds: Record<string, number>;
  regret: Results;
  cached?: string;
}

/**
 * Optuna's results are a deterministic function of the script and its arguments (seeded
 * samplers), so they are kept in the temp dir and reused (OPTUNA_FRESH=1 to recompute): on a busy
 * two-core machine they take tens of minutes.
 */
function runOptuna(): Promise<OptunaResults> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'sweeps_optuna.py');
  const args = [String(SEEDS), String(TRIALS), BUDGETS.join(',')];
  const key = createHash('sha256')
    .update(readFileSync(script))
    .update(args.join(' '))
    .digest('hex')
    .slice(0, 16);
  const cache = join(tmpdir(), `tuneplane-bench-sweeps-optuna-${key}.json`);
  if (!process.env.OPTUNA_FRESH && existsSync(cache))
    return Promise.resolve({ ...JSON.parse(readFileSync(cache, 'utf8')), cached: cache });
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0)
        return reject(new Error(`sweeps_optuna.py exited ${code}: is python3-optuna installed?`));
      writeFileSync(cache, out);
      resolve(JSON.parse(out));
    });
  });
}

async function searchBench(): Promise<{ tpeNotWorse: number; beatsRandom: number }> {
  const t0 = performance.now();
  const optuna = runOptuna(); // runs on the other core while we compute ours
  const ours: Results = {};
  const seconds: Record<string, number> = { random: 0, tpe: 0, tpe_exact: 0 };
  for (const p of PROBLEMS) {
    ours[p.name] = { random: [], tpe: [], tpe_exact: [] };
    for (let seed = 0; seed < SEEDS; seed++) {
      const make: Record<string, () => Strategy> = {
        random: () => new RandomStrategy(spaceOf(p), seed),
        tpe: () => new TpeStrategy(spaceOf(p), 'minimize', seed),
        tpe_exact: () => new TpeStrategy(spaceOf(p), 'minimize', seed, { exact_density: true }),
      };
      for (const [m, f] of Object.entries(make)) {
        const t = performance.now();
        ours[p.name][m].push(runOurs(p, f()));
        seconds[m] += (performance.now() - t) / 1000;
      }
    }
  }
  const oursDone = performance.now();
  const opt = await optuna;
  console.log(
    `search: ${PROBLEMS.length} problems × ${SEEDS} seeds × ${TRIALS} trials; optuna ${opt.version}${opt.cached ? ` (results reused from ${opt.cached}; times are from that run)` : ''}`,
  );
  console.log(
    `time: ours random ${seconds.random.toFixed(1)} s, ours TPE ${seconds.tpe.toFixed(1)} s, ours TPE(exact density) ${seconds.tpe_exact.toFixed(1)} s (in-process);` +
      ` optuna random ${opt.seconds.random.toFixed(1)} s, optuna TPE ${opt.seconds.tpe.toFixed(1)} s (one python process, in parallel); wall ${((performance.now() - t0) / 1000).toFixed(0)} s (ours done at ${((oursDone - t0) / 1000).toFixed(0)} s)`,
  );

  const methods: [string, (p: string) => number[][]][] = [
    ['our_rnd', (p) => ours[p].random],
    ['our_tpe', (p) => ours[p].tpe],
    ['opt_rnd', (p) => opt.regret[p].random],
    ['opt_tpe', (p) => opt.regret[p].tpe],
    ['our_tpeX', (p) => ours[p].tpe_exact],
  ];
  const last = BUDGETS.length - 1;
  const fmt = (v: number) => (v < 1e-3 ? v.toExponential(1) : v.toPrecision(3)).padStart(8);
  console.log(
    '\nmedian regret (best so far − optimum) after n trials; our_tpe = default (optuna 3.1 kernel density, no −log σ);',
  );
  console.log('our_tpeX = our TPE with the exact kernel density (exact_density: true), for reference');
  console.log(
    `${'problem'.padEnd(17)}${'n'.padStart(4)} ${methods.map(([m]) => ' ' + m.padStart(8)).join('')}`,
  );
  for (const p of PROBLEMS) {
    BUDGETS.forEach((b, bi) => {
      console.log(
        `${(bi === 0 ? p.name : '').padEnd(17)}${String(b).padStart(4)} ${methods.map(([, get]) => ' ' + fmt(median(get(p.name).map((r) => r[bi])))).join('')}`,
      );
    });
  }

  console.log(
    `\none-sided Mann-Whitney U p-values on regret after ${BUDGETS[last]} trials (${SEEDS} vs ${SEEDS} seeds), α = ${ALPHA}`,
  );
  console.log(`  ours_worse: H1 our TPE regret > optuna TPE regret   (not worse ⇔ p ≥ α)`);
  console.log(
    `  our_beats_rnd / opt_beats_rnd: H1 TPE regret < the same library's random regret (beats ⇔ p < α)`,
  );
  console.log(`  X_worse: as ours_worse, for our TPE with the exact kernel density`);
  console.log(
    `${'problem'.padEnd(17)}${'ours_worse'.padStart(11)}${'our_beats_rnd'.padStart(15)}${'opt_beats_rnd'.padStart(15)}${'X_worse'.padStart(10)}`,
  );
  let tpeNotWorse = 0,
    beatsRandom = 0;
  for (const p of PROBLEMS) {
    const at = (m: number[][]) => m.map((r) => r[last]);
    const worse = mannWhitneyGreater(at(ours[p.name].tpe), at(opt.regret[p.name].tpe));
    const oursBeats = mannWhitneyGreater(at(ours[p.name].random), at(ours[p.name].tpe));
    const optBeats = mannWhitneyGreater(at(opt.regret[p.name].random), at(opt.regret[p.name].tpe));
    const worseX = mannWhitneyGreater(at(ours[p.name].tpe_exact), at(opt.regret[p.name].tpe));
    if (worse >= ALPHA) tpeNotWorse++;
    if (oursBeats < ALPHA && optBeats < ALPHA) beatsRandom++;
    console.log(
      `${p.name.padEnd(17)}${worse.toFixed(3).padStart(11)}${oursBeats.toFixed(3).padStart(15)}${optBeats.toFixed(3).padStart(15)}${worseX.toFixed(3).padStart(10)}`,
    );
  }
  console.log(
    `tpe_not_worse = problems where ours_worse p ≥ ${ALPHA}; beats_random = problems where BOTH our_beats_rnd and opt_beats_rnd p < ${ALPHA}`,
  );
  return { tpeNotWorse, beatsRandom };
}

// ---------------------------------------------------------------- early stopping
/**
 * Simulated training: a config's validation loss follows a power-law learning curve towards a
 * final value set by its hyperparameters. Each config also converges at its own pace (a
 * per-config exponent, not tied to the final value), so curves cross and early ranks only partly
 * agree with final ranks, as in real training; plus per-epoch noise.
 */
const CURVE_SPACE: SearchSpace = {
  lr: { type: 'float', low: 1e-4, high: 1, scale: 'log' },
  weight_decay: { type: 'float', low: 0, high: 0.3, scale: 'linear' },
  width: { type: 'categorical', choices: [64, 128, 256, 512] },
};
const MAX_EPOCHS = 81;
const WIDTH_PENALTY: Record<number, number> = { 64: 0.15, 128: 0.05, 256: 0, 512: 0.02 };

function curve(params: Params, trialSeed: number): (epoch: number) => number {
  const lr = params.lr as number;
  const final =
    0.2 +
    0.12 * (Math.log10(lr) + 2) ** 2 +
    3 * ((params.weight_decay as number) - 0.1) ** 2 +
    WIDTH_PENALTY[params.width as number];
  const speed = 0.5 + 0.5 * hashUniform(trialSeed, -1, 3); // power-law exponent, per config
  return (epoch) => {
    // deterministic noise per (trial, epoch): Box-Muller on a hash
    const u1 = hashUniform(trialSeed, epoch, 1),
      u2 = hashUniform(trialSeed, epoch, 2);
    const noise = 0.01 * sqrt(-2 * Math.log(u1)) * cos(2 * PI * u2);
    return final + (2.5 - final) * (1 + epoch) ** -speed + noise;
  };
}

function hashUniform(a: number, b: number, c: number): number {
  let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca6b) ^ Math.imul(c + 7, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h = (h ^ (h >>> 16)) >>> 0;
  return (h + 0.5) / 2 ** 32;
}

interface Worker {
  trial: string;
  params: Params;
  epoch: number;
  f: (e: number) => number;
}

/**
 * Run a sweep on `workers` simulated workers (one epoch per tick) until `stop(best)` or `maxEpochs`.
 * Returns the epochs used when `stop` first held (or null) and the best final objective.
 */
function simulate(
  strategy: Strategy,
  scheduler: Scheduler,
  opts: { workers: number; maxTrials: number; maxEpochs: number; trialSeedBase: number; target?: number },
): { epochs: number; best: number; hitAt: number | null } {
  let epochs = 0,
    started = 0,
    best = Infinity,
    hitAt: number | null = null;
  const running: (Worker | null)[] = Array.from({ length: opts.workers }, () => null);
  for (;;) {
    for (let w = 0; w < running.length; w++) {
      if (running[w] === null && started < opts.maxTrials) {
        const id = `t${started}`;
        const params = strategy.suggest(id) as Params;
        running[w] = { trial: id, params, epoch: 0, f: curve(params, opts.trialSeedBase + started) };
        started++;
      }
    }
    if (running.every((r) => r === null) || epochs >= opts.maxEpochs) break;
    for (let w = 0; w < running.length; w++) {
      const r = running[w];
      if (!r) continue;
      r.epoch += 1;
      epochs += 1;
      const v = r.f(r.epoch);
      if (r.epoch >= MAX_EPOCHS) {
        scheduler.onComplete(r.trial);
        strategy.observe({ id: r.trial, params: r.params, state: 'complete', value: v });
        best = Math.min(best, v);
        if (opts.target !== undefined && hitAt === null && v <= opts.target) hitAt = epochs;
        running[w] = null;
      } else if (scheduler.onReport(r.trial, r.epoch, v) === 'stop') {
        strategy.observe({
          id: r.trial,
          params: r.params,
          state: 'pruned',
          reports: [{ step: r.epoch, value: v }],
        });
        running[w] = null;
      }
    }
    if (hitAt !== null) break;
  }
  return { epochs, best, hitAt };
}

function earlyStoppingBench(): number {
  const RANDOM_TRIALS = 64;
  const randomEpochs = RANDOM_TRIALS * MAX_EPOCHS;
  const fractions: number[] = [];
  const medianFractions: number[] = [];
  const rows: string[] = [];
  const never = { continue: 'continue' as const };
  for (let seed = 0; seed < 20; seed++) {
    const full = simulate(
      new RandomStrategy(CURVE_SPACE, 1000 + seed),
      { onReport: () => never.continue, onComplete: () => {} },
      {
        workers: 8,
        maxTrials: RANDOM_TRIALS,
        maxEpochs: Infinity,
        trialSeedBase: 1_000_000 * seed,
      },
    );
    const asha = simulate(
      new RandomStrategy(CURVE_SPACE, 5000 + seed),
      new Asha('minimize', { min_resource: 1, max_resource: MAX_EPOCHS, reduction_factor: 3 }),
      {
        workers: 8,
        maxTrials: 100_000,
        maxEpochs: randomEpochs,
        trialSeedBase: 1_000_000 * seed + 500_000,
        target: full.best,
      },
    );
    const med = simulate(
      new RandomStrategy(CURVE_SPACE, 5000 + seed),
      new MedianStopping('minimize', {
        n_startup_trials: 5,
        n_warmup_steps: 1,
        interval_steps: 1,
        n_min_trials: 1,
      }),
      {
        workers: 8,
        maxTrials: 100_000,
        maxEpochs: randomEpochs,
        trialSeedBase: 1_000_000 * seed + 500_000,
        target: full.best,
      },
    );
    const fraction = asha.hitAt === null ? 1 : asha.hitAt / randomEpochs;
    fractions.push(fraction);
    medianFractions.push(med.hitAt === null ? 1 : med.hitAt / randomEpochs);
    rows.push(
      `  seed ${String(seed).padStart(2)}: random best ${full.best.toFixed(4)} in ${full.epochs} epochs; ASHA ${asha.hitAt === null ? `did not reach it in ${asha.epochs}` : `reached it after ${asha.hitAt}`} epochs → ${fraction.toFixed(3)}; median rule → ${medianFractions[seed].toFixed(3)}`,
    );
  }
  console.log(
    `\nearly stopping: simulated curves, ${MAX_EPOCHS} epochs max, 8 workers; full-budget random search ${RANDOM_TRIALS} trials (${randomEpochs} epochs) vs ASHA (min 1, max ${MAX_EPOCHS}, eta 3) with random sampling, 20 seeds`,
  );
  console.log(rows.join('\n'));
  console.log(
    `median stopping rule (startup 5, warm-up 1), same setup: median fraction ${median(medianFractions).toFixed(3)}, seeds within 1/3: ${medianFractions.filter((f) => f <= 1 / 3).length}/20`,
  );
  const m = median(fractions);
  console.log(
    `ASHA epochs to match full-budget random search's best, as a fraction of its epochs: median ${m.toFixed(3)}, max ${Math.max(...fractions).toFixed(3)}, seeds within 1/3: ${fractions.filter((f) => f <= 1 / 3).length}/20`,
  );
  return m;
}

const { tpeNotWorse, beatsRandom } =
  process.env.ONLY === 'early' ? { tpeNotWorse: NaN, beatsRandom: NaN } : await searchBench();
const fraction = earlyStoppingBench();
console.log(
  `tpe_not_worse=${tpeNotWorse}/${PROBLEMS.length} beats_random=${beatsRandom}/${PROBLEMS.length} asha_epoch_fraction=${fraction.toFixed(3)}`,
);
