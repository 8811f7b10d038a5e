/**
 * Pure functions from stored trials to what the search domain works with: the strategy's trial
 * view, the scheduler's replayed decisions, the best trial, the counts, the elapsed run time.
 */
import { ACTIVE_TRIAL_STATES } from '../../../../openapi/enums';
import type { SweepConfig } from '../../../../openapi/schemas/sweep';
import type { BestTrial, SweepRecord, TrialRecord, TrialState } from '../../../ports/sweeps';
import { bestTrial } from '../completion';
import { createScheduler } from '../index';
import type { Trial, TrialState as StrategyState } from '../strategy';

export const isActiveTrial = (t: Pick<TrialRecord, 'state'>) => ACTIVE_TRIAL_STATES.includes(t.state);

/** The id a trial has inside the strategy and scheduler (stable across retries of its job). */
export const trialKey = (n: number) => `trial-${n}`;

function strategyState(s: TrialState): StrategyState {
  if (s === 'pending' || s === 'running') return 'running';
  if (s === 'complete' || s === 'pruned') return s;
  return 'failed';
}

/** The sweep's own trials as the strategy and completion rules see them, by number. */
export function strategyTrials(trials: readonly TrialRecord[]): Trial[] {
  return [...trials]
    .sort((a, b) => a.number - b.number)
    .map((t) => ({
      id: trialKey(t.number),
      params: t.params,
      state: strategyState(t.state),
      value: t.value,
      reports: t.reports.map((r) => ({ step: r.step, value: r.value })),
    }));
}

/**
 * Replays every stored report (and completion) into a fresh scheduler in the order the controller
 * first saw them, and returns the numbers of the active trials it says to stop. The order is
 * stored, so the replay gives the same answers on every pass and in every process.
 */
export function trialsToStop(
  config: Pick<SweepConfig, 'objective' | 'early_stopping'>,
  trials: readonly TrialRecord[],
): number[] {
  const scheduler = createScheduler(config);
  type Item = { atMs: number; number: number; step: number; kind: 0 | 1; value: number };
  const items: Item[] = [];
  for (const t of trials) {
    for (const r of t.reports)
      items.push({ atMs: r.atMs, number: t.number, step: r.step, kind: 0, value: r.value });
    if (t.state === 'complete' && t.finishedAtMs !== null)
      items.push({ atMs: t.finishedAtMs, number: t.number, step: Infinity, kind: 1, value: NaN });
  }
  items.sort((a, b) => a.atMs - b.atMs || a.number - b.number || a.kind - b.kind || a.step - b.step);
  const active = new Set(trials.filter(isActiveTrial).map((t) => t.number));
  const stop = new Set<number>();
  for (const it of items) {
    if (it.kind === 1) {
      scheduler.onComplete(trialKey(it.number));
    } else if (
      scheduler.onReport(trialKey(it.number), it.step, it.value) === 'stop' &&
      active.has(it.number)
    ) {
      stop.add(it.number);
    }
  }
  return [...stop].sort((a, b) => a - b);
}

export function bestOf(
  trials: readonly TrialRecord[],
  goal: SweepConfig['objective']['goal'],
): BestTrial | null {
  const best = bestTrial(strategyTrials(trials), goal);
  if (!best) return null;
  const t = trials.find((x) => trialKey(x.number) === best.id)!;
  return {
    number: t.number,
    jobId: t.jobId,
    params: t.params,
    value: t.value as number,
    fineTunedModel: t.fineTunedModel,
  };
}

export function countStates(trials: readonly TrialRecord[]): Record<TrialState, number> {
  const counts: Record<TrialState, number> = {
    pending: 0,
    running: 0,
    complete: 0,
    pruned: 0,
    failed: 0,
    stale: 0,
    cancelled: 0,
  };
  for (const t of trials) counts[t.state] += 1;
  return counts;
}

/** Run time so far, paused time excluded. */
export function elapsedSeconds(
  sweep: Pick<SweepRecord, 'startedAtMs' | 'pausedAtMs' | 'pausedTotalMs'>,
  nowMs: number,
): number {
  const paused = sweep.pausedTotalMs + (sweep.pausedAtMs !== null ? nowMs - sweep.pausedAtMs : 0);
  return Math.max(0, (nowMs - sweep.startedAtMs - paused) / 1000);
}
