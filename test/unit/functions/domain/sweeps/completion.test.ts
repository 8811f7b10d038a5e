import { describe, expect, it } from 'vitest';
import {
  bestTrial,
  sweepStatus,
  trialsSinceImprovement,
  type Trial,
} from '../../../../../functions/domain/sweeps';

const t = (id: string, state: Trial['state'], value?: number): Trial => ({ id, params: {}, state, value });
const limits = { max_trials: 10, max_parallel_trials: 3 };

describe('best trial', () => {
  it('is the best complete trial by the goal; pruned, failed and running trials never win', () => {
    const trials = [
      t('a', 'complete', 0.5),
      t('b', 'pruned', 0.1),
      t('c', 'complete', 0.3),
      t('d', 'failed'),
      t('e', 'running'),
      t('f', 'complete', 0.3),
    ];
    expect(bestTrial(trials, 'minimize')?.id).toBe('c');
    expect(bestTrial(trials, 'maximize')?.id).toBe('a');
    expect(bestTrial([t('x', 'running')], 'minimize')).toBeNull();
  });
});

describe('sweep status', () => {
  const base = { goal: 'minimize' as const, limits, elapsedSeconds: 0 };

  it('starts trials up to max_parallel_trials and max_trials', () => {
    expect(sweepStatus({ ...base, trials: [] })).toEqual({ done: null, cancelRunning: false, startable: 3 });
    expect(sweepStatus({ ...base, trials: [t('a', 'running'), t('b', 'complete', 1)] }).startable).toBe(2);
    const nine = Array.from({ length: 9 }, (_, i) => t(`t${i}`, 'complete', i));
    expect(sweepStatus({ ...base, trials: nine }).startable).toBe(1);
  });

  it('ends when max_trials have been created and all have finished', () => {
    const ten = Array.from({ length: 10 }, (_, i) => t(`t${i}`, i === 9 ? 'running' : 'complete', i));
    expect(sweepStatus({ ...base, trials: ten })).toEqual({ done: null, cancelRunning: false, startable: 0 });
    ten[9] = t('t9', 'failed');
    expect(sweepStatus({ ...base, trials: ten }).done).toBe('max_trials');
  });

  it('ends at once, cancelling running trials, when the target is reached', () => {
    const trials = [t('a', 'complete', 0.2), t('b', 'running')];
    expect(sweepStatus({ ...base, trials, completion: { target_value: 0.25 } })).toEqual({
      done: 'target_reached',
      cancelRunning: true,
      startable: 0,
    });
    expect(sweepStatus({ ...base, trials, completion: { target_value: 0.1 } }).done).toBeNull();
    expect(
      sweepStatus({
        ...base,
        goal: 'maximize',
        trials: [t('a', 'complete', 0.9)],
        completion: { target_value: 0.85 },
      }).done,
    ).toBe('target_reached');
  });

  it('ends after no_improvement_trials finished trials without a new best', () => {
    const trials = [
      t('a', 'complete', 0.5),
      t('b', 'complete', 0.4),
      t('c', 'complete', 0.6),
      t('d', 'pruned'),
      t('e', 'running'),
    ];
    expect(trialsSinceImprovement(trials, 'minimize')).toBe(2);
    expect(sweepStatus({ ...base, trials, completion: { no_improvement_trials: 3 } }).done).toBeNull();
    expect(
      sweepStatus({
        ...base,
        trials: [...trials, t('f', 'failed')],
        completion: { no_improvement_trials: 3 },
      }).done,
    ).toBe('no_improvement');
  });

  it('ends when the runtime is over or the search space is exhausted', () => {
    expect(
      sweepStatus({
        ...base,
        limits: { ...limits, max_runtime_seconds: 3600 },
        elapsedSeconds: 3600,
        trials: [t('a', 'running')],
      }),
    ).toEqual({ done: 'max_runtime', cancelRunning: true, startable: 0 });
    expect(sweepStatus({ ...base, exhausted: true, trials: [t('a', 'complete', 1)] }).done).toBe(
      'search_space_exhausted',
    );
  });
});
