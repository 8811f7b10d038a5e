/**
 * When a sweep is done, and which trial is its best. Pure functions of the trials and the clock
 * reading the controller passes in.
 */
import type { SweepCompletion, SweepLimits } from '../../../openapi/schemas/sweep';
import type { Goal, Trial } from './strategy';

/** Best complete trial (ties go to the earlier one); pruned and failed trials never win. */
export function bestTrial(trials: readonly Trial[], goal: Goal): Trial | null {
  let best: Trial | null = null;
  for (const t of trials) {
    if (t.state !== 'complete' || typeof t.value !== 'number' || Number.isNaN(t.value)) continue;
    if (best === null || isBetter(t.value, best.value as number, goal)) best = t;
  }
  return best;
}

export function isBetter(a: number, b: number, goal: Goal): boolean {
  return goal === 'minimize' ? a < b : a > b;
}

export type CompletionReason =
  'target_reached' | 'no_improvement' | 'max_runtime' | 'max_trials' | 'search_space_exhausted';

export interface SweepStatusInput {
  /** The sweep's own trials (not warm-start ones), in the order they finished or started. */
  trials: readonly Trial[];
  goal: Goal;
  limits: SweepLimits;
  completion?: SweepCompletion;
  elapsedSeconds: number;
  /** The strategy has no new point to offer (an exhausted grid). */
  exhausted?: boolean;
}

export interface SweepStatus {
  /** Set when the sweep is finished (or must finish now; running trials are then cancelled). */
  done: CompletionReason | null;
  /** Trials to stop now because the sweep ends early (target, patience, runtime). */
  cancelRunning: boolean;
  /** How many new trials may start now. */
  startable: number;
}

/**
 * Target reached, patience run out or runtime over end the sweep at once. max_trials and an
 * exhausted space only stop new trials; the sweep ends when the running ones finish.
 */
export function sweepStatus(input: SweepStatusInput): SweepStatus {
  const { trials, goal, limits, completion } = input;
  const running = trials.filter((t) => t.state === 'running').length;
  const stopNow = (done: CompletionReason): SweepStatus => ({
    done,
    cancelRunning: running > 0,
    startable: 0,
  });

  const best = bestTrial(trials, goal);
  const target = completion?.target_value;
  if (best && target !== undefined && !isBetter(target, best.value as number, goal))
    return stopNow('target_reached');
  if (
    completion?.no_improvement_trials !== undefined &&
    trialsSinceImprovement(trials, goal) >= completion.no_improvement_trials
  ) {
    return stopNow('no_improvement');
  }
  if (limits.max_runtime_seconds !== undefined && input.elapsedSeconds >= limits.max_runtime_seconds)
    return stopNow('max_runtime');

  const full = trials.length >= limits.max_trials;
  if (full || input.exhausted) {
    return {
      done: running === 0 ? (full ? 'max_trials' : 'search_space_exhausted') : null,
      cancelRunning: false,
      startable: 0,
    };
  }
  const startable = Math.max(
    0,
    Math.min(limits.max_parallel_trials - running, limits.max_trials - trials.length),
  );
  return { done: null, cancelRunning: false, startable };
}

/** Finished trials (complete, pruned or failed) after the last one that improved on the best. */
export function trialsSinceImprovement(trials: readonly Trial[], goal: Goal): number {
  let best: number | null = null;
  let since = 0;
  for (const t of trials) {
    if (t.state === 'running') continue;
    if (
      t.state === 'complete' &&
      typeof t.value === 'number' &&
      !Number.isNaN(t.value) &&
      (best === null || isBetter(t.value, best, goal))
    ) {
      best = t.value;
      since = 0;
    } else {
      since += 1;
    }
  }
  return best === null ? 0 : since;
}
