/**
 * Tree-structured Parzen Estimator, univariate, following optuna's TPESampler (3.1) defaults.
 *
 * Per parameter: rank the finished trials (complete by value; pruned after them, deeper-pruned
 * first, then by their last reported value; with the constant liar, running trials last, i.e. as
 * if they had the worst result), call the best gamma(n) = min(ceil(gamma_factor·n), gamma_max)
 * "below" and the rest "above", fit one Parzen estimator to each (only trials where the parameter
 * was active), draw n_ei_candidates from the below estimator and keep the one maximising
 * l(x)/g(x). Until n_startup_trials trials have finished, parameters are drawn at random.
 * Conditional parameters are decided after their parent, only when their condition holds.
 */
import type { SearchSpace, SweepParameter, TpeOptions } from '../../../openapi/schemas/sweep';
import { ParzenEstimator, type Domain, type ParzenOptions } from './parzen';
import type { Rng } from './prng';
import { assign, contains, sampleUniform, type Params, type ParamValue } from './space';
import { HistoryStrategy, sign, type Goal, type Trial } from './strategy';

export type TpeSettings = Omit<TpeOptions, 'type' | 'seed'> & {
  /**
   * Kernel log-density with its -log(sigma) term (true) or without it, as optuna 3.1 (false).
   * Without it, wide kernels (the prior, isolated observations) weigh more, so both densities are
   * flatter and the search explores more. Measured in `npm run bench:sweeps` (9 problems × 30
   * seeds): the optuna-3.1 form was not worse than Optuna on 9/9 problems, the exact form on 6/9
   * (worse on hartmann6, levy5, shekel5), so the 3.1 form is the default.
   */
  exact_density: boolean;
};

export const TPE_DEFAULTS: TpeSettings = {
  exact_density: false,
  n_startup_trials: 10,
  n_ei_candidates: 24,
  gamma_factor: 0.1,
  gamma_max: 25,
  prior_weight: 1,
  consider_magic_clip: true,
  consider_endpoints: false,
  constant_liar: true,
};

/** Sort key: lexicographic (stage, loss); smaller is better. */
type Score = [number, number];

export class TpeStrategy extends HistoryStrategy {
  private readonly opts: TpeSettings;
  private readonly parzen: ParzenOptions;

  constructor(
    private readonly space: SearchSpace,
    private readonly goal: Goal,
    seed: number,
    options: Partial<TpeSettings> = {},
  ) {
    super(seed, space);
    this.opts = { ...TPE_DEFAULTS, ...options };
    this.parzen = {
      priorWeight: this.opts.prior_weight,
      considerMagicClip: this.opts.consider_magic_clip,
      considerEndpoints: this.opts.consider_endpoints,
      exactDensity: this.opts.exact_density,
    };
  }

  protected draw(rng: Rng): Params {
    const scored = this.scoredTrials();
    const n = scored.filter(([, s]) => s[0] !== Infinity).length;
    if (n < this.opts.n_startup_trials) return assign(this.space, (_name, p) => sampleUniform(p, rng));

    // Split once over all finished trials (optuna splits before masking by parameter).
    const ranked = scored
      .map((x, i) => ({ i, s: x[1] }))
      .sort((a, b) => a.s[0] - b.s[0] || a.s[1] - b.s[1] || a.i - b.i);
    const nBelow = Math.min(Math.ceil(this.opts.gamma_factor * n), this.opts.gamma_max);
    const isBelow = new Set(ranked.slice(0, nBelow).map((r) => r.i));
    return assign(this.space, (name, p) => this.sampleParam(name, p, scored, isBelow, rng));
  }

  private sampleParam(
    name: string,
    p: SweepParameter,
    scored: [Trial, Score][],
    isBelow: Set<number>,
    rng: Rng,
  ): ParamValue {
    const domain = internalDomain(p);
    const below: number[] = [];
    const above: number[] = [];
    scored.forEach(([t], i) => {
      const v = t.params[name];
      if (v === undefined || !contains(p, v)) return;
      (isBelow.has(i) ? below : above).push(toInternal(p, v));
    });
    const l = new ParzenEstimator(below, domain, this.parzen);
    const g = new ParzenEstimator(above, domain, this.parzen);
    let best: ParamValue | undefined;
    let bestScore = -Infinity;
    for (const raw of l.sample(rng, this.opts.n_ei_candidates)) {
      const v = fromInternal(p, raw);
      const x = toInternal(p, v);
      const score = l.logPdf(x) - g.logPdf(x);
      if (best === undefined || score > bestScore) {
        bestScore = score;
        best = v;
      }
    }
    return best ?? sampleUniform(p, rng);
  }

  /** Trials TPE learns from, with their sort keys, in history order. */
  private scoredTrials(): [Trial, Score][] {
    const sgn = sign(this.goal);
    const out: [Trial, Score][] = [];
    for (const t of this.history()) {
      if (t.state === 'complete' && typeof t.value === 'number' && !Number.isNaN(t.value)) {
        out.push([t, [-Infinity, sgn * t.value]]);
      } else if (t.state === 'pruned') {
        const last = [...(t.reports ?? [])].sort((a, b) => a.step - b.step).at(-1);
        if (!last) out.push([t, [1, 0]]);
        else out.push([t, [-last.step, Number.isNaN(last.value) ? Infinity : sgn * last.value]]);
      } else if (t.state === 'running' && this.opts.constant_liar) {
        out.push([t, [Infinity, Infinity]]);
      }
    }
    return out;
  }
}

function internalDomain(p: SweepParameter): Domain {
  switch (p.type) {
    case 'categorical':
      return { kind: 'categorical', n: p.choices.length };
    case 'float':
      return p.scale === 'log'
        ? { kind: 'numeric', low: Math.log(p.low), high: Math.log(p.high), q: null }
        : { kind: 'numeric', low: p.low, high: p.high, q: null };
    case 'int':
      return p.scale === 'log'
        ? { kind: 'numeric', low: Math.log(p.low - 0.5), high: Math.log(p.high + 0.5), q: null }
        : { kind: 'numeric', low: p.low - 0.5 * p.step, high: p.high + 0.5 * p.step, q: p.step };
  }
}

function toInternal(p: SweepParameter, v: ParamValue): number {
  if (p.type === 'categorical') return p.choices.findIndex((c) => c === v);
  return p.scale === 'log' ? Math.log(v as number) : (v as number);
}

function fromInternal(p: SweepParameter, x: number): ParamValue {
  switch (p.type) {
    case 'categorical':
      return p.choices[x];
    case 'float':
      return Math.min(Math.max(p.scale === 'log' ? Math.exp(x) : x, p.low), p.high);
    case 'int': {
      const v =
        p.scale === 'log' ? Math.round(Math.exp(x)) : p.low + p.step * Math.round((x - p.low) / p.step);
      return Math.min(Math.max(v, p.low), p.high);
    }
  }
}
