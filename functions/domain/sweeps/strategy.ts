/**
 * The one interface every search strategy implements (optuna's sampler shape): `observe` what is
 * known about trials, `suggest` the next trial's parameters. A strategy holds no hidden state beyond
 * what it observed: create it with the sweep's seed, observe the stored trials in creation order
 * (warm-start trials first), and `suggest` returns the same parameters every time. That is how a
 * stateless controller replays it.
 */
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

/** Tries at finding an assignment not yet used before accepting a duplicate. */
const DUPLICATE_ATTEMPTS = 16;

/** Trial history and the per-suggestion random streams, shared by the strategies. */
export abstract class HistoryStrategy implements Strategy {
  protected readonly trials = new Map<string, Trial>();

  constructor(protected readonly seed: number) {}

  observe(trial: Trial): void {
    this.trials.set(trial.id, { ...trial, params: { ...trial.params } });
  }

  suggest(trialId: string): Params | null {
    if (this.trials.has(trialId)) throw new Error(`trial '${trialId}' is already known to this strategy`);
    const ordinal = this.trials.size;
    const used = new Set([...this.trials.values()].map((t) => paramsKey(t.params)));
    let params: Params | null = null;
    // Discrete spaces can repeat an assignment; a repeat teaches nothing, so draw again a few times.
    for (let attempt = 0; attempt < DUPLICATE_ATTEMPTS; attempt++) {
      params = this.draw(createRng(this.seed, ordinal, attempt));
      if (params === null || !used.has(paramsKey(params))) break;
    }
    if (params !== null) this.trials.set(trialId, { id: trialId, params, state: 'running' });
    return params;
  }

  /** Trials in the order they were observed or suggested. */
  history(): Trial[] {
    return [...this.trials.values()];
  }

  protected abstract draw(rng: Rng): Params | null;
}

export function sign(goal: Goal): 1 | -1 {
  return goal === 'minimize' ? 1 : -1;
}
