/**
 * Hyperparameter sweeps, the search itself: strategies (grid, random, TPE) that propose trials,
 * schedulers (none, median, ASHA) that stop poor trials early, and the completion rules. Pure
 * domain code: no I/O, deterministic given the sweep's seed and the trials it is shown.
 *
 * A controller (stateless) on each event:
 *   const strategy = createStrategy(config, seed);           // same seed every time
 *   warmStartTrials.forEach((t) => strategy.observe(t));     // earlier sweeps' trials first
 *   ownTrials.forEach((t) => strategy.observe(t));           // creation order, incl. running
 *   for (i < sweepStatus(...).startable) params = strategy.suggest(newTrialId) // null: exhausted
 * and for early stopping, replays stored reports into createScheduler(config) in arrival order.
 */
import type { SweepConfig } from '../../../openapi/schemas/sweep';
import { GridStrategy } from './grid';
import { RandomStrategy } from './random';
import { Asha, MedianStopping, NoStopping, type Scheduler } from './schedulers';
import { fitToSpace } from './space';
import type { Strategy, Trial } from './strategy';
import { TpeStrategy } from './tpe';

export { GridStrategy } from './grid';
export { discreteSize, enumerateGrid, gridValues } from './enumerate';
export { RandomStrategy } from './random';
export { TpeStrategy, TPE_DEFAULTS, type TpeSettings } from './tpe';
export { Asha, MedianStopping, NoStopping, median, type Decision, type Scheduler } from './schedulers';
export {
  bestTrial,
  isBetter,
  sweepStatus,
  trialsSinceImprovement,
  type CompletionReason,
  type SweepStatus,
} from './completion';
export { createRng, type Rng } from './prng';
export { ndtr } from './truncnorm';
export { fitToSpace, isActive, paramsKey, type Params, type ParamValue } from './space';
export type { Goal, Report, Strategy, Trial, TrialState } from './strategy';

type SearchConfig = Pick<SweepConfig, 'search_space' | 'objective' | 'strategy'>;

/** The strategy a sweep's config asks for. `seed` is used when the config has none. */
export function createStrategy(config: SearchConfig, seed: number): Strategy {
  const s = config.strategy;
  switch (s.type) {
    case 'grid':
      return new GridStrategy(config.search_space);
    case 'random':
      return new RandomStrategy(config.search_space, s.seed ?? seed);
    case 'tpe': {
      const { type: _type, seed: own, ...options } = s;
      return new TpeStrategy(config.search_space, config.objective.goal, own ?? seed, options);
    }
  }
}

/** The early-stopping scheduler a sweep's config asks for. */
export function createScheduler(config: Pick<SweepConfig, 'objective' | 'early_stopping'>): Scheduler {
  const es = config.early_stopping;
  switch (es.type) {
    case 'none':
      return new NoStopping();
    case 'median':
      return new MedianStopping(config.objective.goal, es);
    case 'asha':
      return new Asha(config.objective.goal, es);
  }
}

/**
 * Warm-start trials from earlier sweeps, made fit for this sweep's space: parameters it does not
 * have or values outside its ranges are dropped, trials that are not finished are left out.
 */
export function warmStartTrials(
  config: Pick<SweepConfig, 'search_space'>,
  trials: readonly Trial[],
): Trial[] {
  return trials
    .filter((t) => t.state === 'complete' || t.state === 'pruned')
    .map((t) => ({ ...t, id: `warm:${t.id}`, params: fitToSpace(config.search_space, t.params) }))
    .filter((t) => Object.keys(t.params).length > 0);
}
