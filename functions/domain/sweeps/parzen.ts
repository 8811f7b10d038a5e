/**
 * One-dimensional Parzen estimator as in optuna's TPESampler (3.1, univariate): a mixture with one
 * kernel per observation plus a prior kernel, weighted by optuna's default_weights (older
 * observations ramp down once there are more than 25).
 *
 * Numeric parameters live in an "internal" scale (log for log-scale parameters; ints widened by
 * half a step at each end and treated as bins of width `q`). Kernel widths are the larger gap to a
 * sorted neighbour (endpoints used only if `considerEndpoints`), clipped to
 * [(high-low)/min(100, 1+n), high-low] ("magic clip"); the prior kernel is N(mid, high-low).
 * Categorical kernels put mass 1 on the observed choice plus prior_weight/(n+1) on every choice.
 *
 * optuna 3.1's truncnorm.logpdf leaves out the -log(sigma) term of the normal density, so narrow
 * kernels count for less than their true density. `exactDensity` chooses between that behaviour
 * (false) and the textbook density (true); see TPE_DEFAULTS for which one we use and why. (Bins of
 * int parameters use probability masses, which have no such term either way.)
 */
import type { Rng } from './prng';
import { logGaussMass, truncnormLogPdf, truncnormPpf } from './truncnorm';

export interface ParzenOptions {
  priorWeight: number;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
  exactDensity: boolean;
}

/** A numeric parameter in internal scale: bounds and bin width (null = continuous). */
export interface NumericDomain {
  kind: 'numeric';
  low: number;
  high: number;
  q: number | null;
}
export interface CategoricalDomain {
  kind: 'categorical';
  n: number;
}
export type Domain = NumericDomain | CategoricalDomain;

/** optuna's default_weights: flat for the newest 25, a linear ramp from 1/n for the older ones. */
export function defaultWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = Array.from({ length: n - 25 }, (_, i) =>
    n - 25 === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (n - 26),
  );
  return [...ramp, ...new Array<number>(25).fill(1)];
}

export class ParzenEstimator {
  private readonly weights: number[];
  private readonly mus: number[] = [];
  private readonly sigmas: number[] = [];
  private readonly probs: number[][] = [];
  private readonly exactDensity: boolean;

  /** `observations`: values in internal scale (category indices for categoricals), oldest first. */
  constructor(
    observations: readonly number[],
    private readonly domain: Domain,
    opts: ParzenOptions,
  ) {
    this.exactDensity = opts.exactDensity;
    const n = observations.length;
    const w = [...defaultWeights(n), opts.priorWeight];
    const total = w.reduce((s, x) => s + x, 0);
    this.weights = w.map((x) => x / total);
    if (domain.kind === 'categorical') {
      const base = opts.priorWeight / (n + 1);
      for (const obs of observations) {
        const row = new Array<number>(domain.n).fill(base);
        row[obs] += 1;
        const s = row.reduce((a, b) => a + b, 0);
        this.probs.push(row.map((x) => x / s));
      }
      this.probs.push(new Array<number>(domain.n).fill(1 / domain.n));
      return;
    }
    const { low, high } = domain;
    const mus = [...observations, 0.5 * (low + high)];
    const order = mus.map((_, i) => i).sort((i, j) => mus[i] - mus[j]);
    const sorted = [low, ...order.map((i) => mus[i]), high];
    const sig = new Array<number>(mus.length);
    for (let k = 0; k < mus.length; k++) {
      sig[k] = Math.max(sorted[k + 1] - sorted[k], sorted[k + 2] - sorted[k + 1]);
    }
    if (!opts.considerEndpoints && sorted.length >= 4) {
      sig[0] = sorted[2] - sorted[1];
      sig[mus.length - 1] = sorted[mus.length] - sorted[mus.length - 1];
    }
    const maxSigma = high - low;
    const minSigma = opts.considerMagicClip ? (high - low) / Math.min(100, 1 + mus.length) : 1e-12;
    const sigmas = new Array<number>(mus.length);
    order.forEach((i, k) => (sigmas[i] = Math.min(Math.max(sig[k], minSigma), maxSigma)));
    sigmas[n] = high - low; // the prior kernel
    this.mus = mus;
    this.sigmas = sigmas;
  }

  /** `size` draws in internal scale (numeric: before rounding to bins; categorical: indices). */
  sample(rng: Rng, size: number): number[] {
    const out: number[] = [];
    for (let s = 0; s < size; s++) {
      const c = pick(this.weights, rng.next());
      if (this.domain.kind === 'categorical') {
        out.push(pick(this.probs[c], rng.next()));
      } else {
        const { low, high } = this.domain;
        const mu = this.mus[c];
        const sd = this.sigmas[c];
        out.push(mu + sd * truncnormPpf(rng.next(), (low - mu) / sd, (high - mu) / sd));
      }
    }
    return out;
  }

  /** log density (log mass for bins and categories) of the mixture at internal-scale `x`. */
  logPdf(x: number): number {
    const terms = this.weights.map((w, c) => Math.log(w) + this.componentLogPdf(c, x));
    const max = Math.max(...terms);
    if (max === -Infinity) return -Infinity;
    return max + Math.log(terms.reduce((s, t) => s + Math.exp(t - max), 0));
  }

  private componentLogPdf(c: number, x: number): number {
    const d = this.domain;
    if (d.kind === 'categorical') return Math.log(this.probs[c][x]);
    const mu = this.mus[c];
    const sd = this.sigmas[c];
    if (d.q === null)
      return truncnormLogPdf(x, mu, sd, d.low, d.high) + (this.exactDensity ? 0 : Math.log(sd));
    const lo = Math.max(x - d.q / 2, d.low);
    const hi = Math.min(x + d.q / 2, d.high);
    return logGaussMass((lo - mu) / sd, (hi - mu) / sd) - logGaussMass((d.low - mu) / sd, (d.high - mu) / sd);
  }
}

/** Index drawn from probabilities `p` (summing to 1) with uniform `u`. */
function pick(p: readonly number[], u: number): number {
  let acc = 0;
  for (let i = 0; i < p.length; i++) {
    acc += p[i];
    if (u < acc) return i;
  }
  return p.length - 1;
}
