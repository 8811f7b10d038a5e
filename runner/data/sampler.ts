/**
 * The order in which one epoch visits the training examples, per `sampling.strategy`.
 * Each order is a pure function of (strategy, data, seed, epoch): checkpoints store only the position.
 */
import type { ResolvedHyperparameters } from '../../openapi/schemas/hyperparameters';
import { mixSeed, rng, shuffleInPlace } from './rng';

export type SamplingStrategy = ResolvedHyperparameters['sampling']['strategy'];

export interface SamplerInput {
  n: number;
  /** Class id per example (stratified). */
  labels?: ArrayLike<number>;
  /** Non-negative weight per example (weighted). */
  weights?: ArrayLike<number>;
}

export function epochOrder(
  strategy: SamplingStrategy,
  data: SamplerInput,
  seed: number,
  epoch: number,
): number[] {
  const rand = rng(mixSeed(seed, epoch, 0x5a3));
  const { n } = data;
  switch (strategy) {
    case 'sequential':
      return range(n);
    case 'shuffle':
      return shuffleInPlace(range(n), rand);
    case 'bootstrap':
      // n draws with replacement: some examples repeat, about 1/e of them are left out.
      return Array.from({ length: n }, () => Math.floor(rand() * n));
    case 'weighted':
      return weightedDraws(data.weights ?? [], n, rand);
    case 'stratified':
      return stratifiedOrder(data.labels ?? [], rand);
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** n draws with replacement, P(i) ∝ weights[i] (inverse CDF by binary search). */
function weightedDraws(weights: ArrayLike<number>, n: number, rand: () => number): number[] {
  if (weights.length !== n) throw new Error('weighted sampling needs one weight per example');
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    if (!(w >= 0) || !Number.isFinite(w))
      throw new Error(`sampling weight of example ${i} must be a finite number ≥ 0`);
    total += w;
    cdf[i] = total;
  }
  if (total <= 0) throw new Error('sampling weights must not all be 0');
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const u = rand() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    out.push(lo);
  }
  return out;
}

/**
 * Every contiguous window of the order holds the classes in (about) their overall ratio, whatever
 * the batch size: each class is shuffled, its i-th member gets the position (i + jitter) / n_class,
 * and the examples are sorted by position. A window of b examples then holds b·n_c/n ± 1 of class c.
 */
function stratifiedOrder(labels: ArrayLike<number>, rand: () => number): number[] {
  if (labels.length === 0) return [];
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!byClass.has(l)) byClass.set(l, []);
    byClass.get(l)!.push(i);
  }
  const keyed: { pos: number; i: number }[] = [];
  const jitter = rand();
  for (const members of byClass.values()) {
    shuffleInPlace(members, rand);
    members.forEach((i, k) => keyed.push({ pos: (k + jitter) / members.length, i }));
  }
  // Ties (equal positions across classes) broken randomly but reproducibly.
  const tie = new Map(keyed.map((e) => [e.i, rand()]));
  keyed.sort((a, b) => a.pos - b.pos || tie.get(a.i)! - tie.get(b.i)!);
  return keyed.map((e) => e.i);
}
