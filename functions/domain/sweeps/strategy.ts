/**
 * The one interface every search strategy implements (optuna's sampler shape): `observe` what is
 * known about trials, `suggest` the next trial's parameters. A strategy holds no hidden state beyond
 * what it observed: create it with the sweep's seed, observe the stored trials in creation order
 * (warm-start trials first), and `suggest` returns the same parameters every time. That is how a
 * stateless controller replays it.
 */
import type { SearchSpace } from '../../../openapi/schemas/sweep';
import { discreteSize, enumerateGrid } from './enumerate';
import { createRng, type Rng } from './prng';
import { paramsKey, type Params } from './space';

export type Goal = 'minimize' | 'maximize';
export type TrialState = 'running' | 'complete' | 'pruned' | 'failed';

export interface Report {
  /** Resource used so far (epoch or step, per the sweep's early-stopping setting). */
  step: number;
  value: number;
}

export interface Trial {
  /** Unique within the history (the trial's job id; warm-start trials keep their own ids). */
  id: string;
  params: Params;
  state: TrialState;
  /** The objective of a complete trial. */
  value?: number | null;
  /** Intermediate objective values; a pruned trial is ranked by its last one. */
  reports?: readonly Report[];
}

export interface Strategy {
  /** Add or update a trial (a `running` trial later observed `complete` keeps its place). */
  observe(trial: Trial): void;
  /** Parameters for a new trial, recorded as `running` under `trialId`; null when none are left. */
  suggest(trialId: string): Params | null;
}

/** Tries at finding an assignment not yet used before picking among the unused ones. */
const DUPLICATE_ATTEMPTS = 16;
/** Discrete spaces up to this size are enumerated to find an unused point. */
const ENUMERABLE = 10_000;

/** Trial history and the per-suggestion random streams, shared by the strategies. */
export abstract class HistoryStrategy implements Strategy {
  protected readonly trials = new Map<string, Trial>();
  /** How many trials hold each assignment (by paramsKey), kept in step with `trials`. */
  private readonly used = new Map<string, number>();

  constructor(
    protected readonly seed: number,
    /** Given for strategies that may repeat themselves (random, TPE) in a discrete space. */
    private readonly discreteSpace?: SearchSpace,
  ) {}

  observe(trial: Trial): void {
    const old = this.trials.get(trial.id);
    if (old) this.count(old, -1);
    const copy = { ...trial, params: { ...trial.params } };
    this.trials.set(trial.id, copy);
    this.count(copy, 1);
  }

  private count(t: Trial, delta: number): void {
    const key = paramsKey(t.params);
    const n = (this.used.get(key) ?? 0) + delta;
    if (n > 0) this.used.set(key, n);
    else this.used.delete(key);
  }

  suggest(trialId: string): Params | null {
    if (this.trials.has(trialId)) throw new Error(`trial '${trialId}' is already known to this strategy`);
    const ordinal = this.trials.size;
    const used = this.used;
    let params: Params | null = null;
    // Discrete spaces can repeat an assignment; a repeat teaches nothing, so draw again a few times.
    for (let attempt = 0; attempt < DUPLICATE_ATTEMPTS; attempt++) {
      params = this.draw(createRng(this.seed, ordinal, attempt));
      if (params === null || !used.has(paramsKey(params))) break;
      if (attempt === DUPLICATE_ATTEMPTS - 1)
        params = this.unusedPoint(used, createRng(this.seed, ordinal, attempt + 1)) ?? params;
    }
    if (params !== null) this.observe({ id: trialId, params, state: 'running' });
    return params;
  }

  /** Whether some trial already holds this assignment. */
  protected isUsed(params: Params): boolean {
    return this.used.has(paramsKey(params));
  }

  /** Trials in the order they were observed or suggested. */
  history(): Trial[] {
    return [...this.trials.values()];
  }

  protected abstract draw(rng: Rng): Params | null;

  /** A uniformly chosen point of a small discrete space that no trial has used, if any. */
  private unusedPoint(used: ReadonlyMap<string, number>, rng: Rng): Params | null {
    const space = this.discreteSpace;
    const size = space ? discreteSize(space) : null;
    if (!space || size === null || size > ENUMERABLE) return null;
    const free = enumerateGrid(space).filter((p) => !used.has(paramsKey(p)));
    return free.length > 0 ? free[rng.int(free.length)] : null;
  }
}

export function sign(goal: Goal): 1 | -1 {
  return goal === 'minimize' ? 1 : -1;
}
