import { describe, expect, it } from 'vitest';
import {
  Asha,
  MedianStopping,
  NoStopping,
  createRng,
  createScheduler,
  type Decision,
} from '../../../../../functions/domain/sweeps';

const median = (goal: 'minimize' | 'maximize' = 'minimize', over = {}) =>
  new MedianStopping(goal, {
    n_startup_trials: 3,
    n_warmup_steps: 2,
    interval_steps: 1,
    n_min_trials: 1,
    ...over,
  });

/** Report a whole curve; the steps at which the scheduler said stop. */
function feed(
  s: { onReport(id: string, step: number, v: number): Decision },
  id: string,
  curve: (step: number) => number,
  steps: number,
): number[] {
  const stops: number[] = [];
  for (let step = 1; step <= steps; step++)
    if (s.onReport(id, step, curve(step)) === 'stop') stops.push(step);
  return stops;
}

describe('median stopping rule', () => {
  const reference = (k: number) => (step: number) => (1 + 0.1 * k) / step;

  function withCompleted(m: MedianStopping): MedianStopping {
    for (let k = 0; k < 5; k++) {
      feed(m, `done${k}`, reference(k), 10);
      m.onComplete(`done${k}`);
    }
    return m;
  }

  it('stops a clearly bad curve right after the warm-up and keeps a good one to the end', () => {
    const m = withCompleted(median());
    expect(feed(m, 'bad', (s) => 3 / s + 1, 10)[0]).toBe(2);
    expect(feed(m, 'good', (s) => 0.8 / s, 10)).toEqual([]);
  });

  it('judges a trial by its best value so far, like optuna (a late blip does not stop it)', () => {
    const m = withCompleted(median());
    expect(feed(m, 'blip', (s) => (s === 7 ? 5 : 0.9 / s), 10)).toEqual([]);
  });

  it('stops nothing before n_startup_trials have completed, or during the warm-up', () => {
    const m = median();
    expect(feed(m, 'first', (s) => 100 + s, 10)).toEqual([]);
    const w = withCompleted(median('minimize', { n_warmup_steps: 5 }));
    expect(Math.min(...feed(w, 'bad', () => 50, 10))).toBe(5);
  });

  it('flips for maximised metrics', () => {
    const m = new MedianStopping('maximize', {
      n_startup_trials: 1,
      n_warmup_steps: 0,
      interval_steps: 1,
      n_min_trials: 1,
    });
    feed(m, 'ref', (s) => 0.5 + 0.01 * s, 5);
    m.onComplete('ref');
    expect(m.onReport('low', 1, 0.2)).toBe('stop');
    expect(m.onReport('high', 1, 0.9)).toBe('continue');
  });

  it('needs n_min_trials completed trials that reported the same step', () => {
    const m = withCompleted(median('minimize', { n_min_trials: 3 }));
    expect(m.onReport('x', 11, 99)).toBe('continue'); // nobody reported step 11
  });
});

describe('ASHA', () => {
  const asha = () => new Asha('minimize', { min_resource: 1, max_resource: 27, reduction_factor: 3 });

  it('places rungs at min_resource·eta^k below max_resource', () => {
    expect(asha().rungs).toEqual([1, 3, 9]);
    expect(new Asha('minimize', { min_resource: 2, max_resource: 100, reduction_factor: 4 }).rungs).toEqual([
      2, 8, 32,
    ]);
  });

  it('decides at arrival: continue only within the top max(1, ⌊n/eta⌋) of the rung so far', () => {
    const a = asha();
    // values at rung 0 (epoch 1), in arrival order
    const arrivals = [0.5, 0.7, 0.4, 0.9, 0.3, 0.6, 0.8, 0.35, 0.45];
    const decisions = arrivals.map((v, i) => a.onReport(`t${i}`, 1, v));
    // n=1 best→go; n=2 0.7 not best; n=3 0.4 best; n=4 0.9; n=5 0.3 best; n=6 (top 2) 0.6 no;
    // n=7 (top 2) 0.8 no; n=8 (top 2: 0.3, 0.35) go; n=9 (top 3: 0.3, 0.35, 0.4) 0.45 no
    expect(decisions).toEqual([
      'continue',
      'stop',
      'continue',
      'stop',
      'continue',
      'stop',
      'stop',
      'continue',
      'stop',
    ]);
    // stopped trials stay stopped; survivors are judged again at the next rung
    expect(a.onReport('t1', 2, 0.1)).toBe('stop');
    expect(a.onReport('t0', 2, 0.45)).toBe('continue'); // between rungs
    expect(a.onReport('t0', 3, 0.45)).toBe('continue'); // first at rung 1
    expect(a.onReport('t2', 3, 0.5)).toBe('stop');
  });

  it('with many trials arriving in random order, promotes about the top 1/eta at each rung', () => {
    const a = new Asha('minimize', { min_resource: 1, max_resource: 81, reduction_factor: 3 });
    const rng = createRng(1);
    const quality = Array.from({ length: 729 }, () => rng.next());
    const alive = new Set(quality.map((_, i) => i));
    for (const [k, r] of a.rungs.entries()) {
      const before = [...alive];
      for (const i of before)
        if (a.onReport(`t${i}`, r, quality[i] * (1 + 0.01 * k)) === 'stop') alive.delete(i);
      // A cohort-synchronous halving keeps exactly ⌊n/eta⌋; deciding at arrival keeps about that many
      // (in small cohorts the early arrivals, judged against few results, let noticeably more through).
      if (before.length < 50) continue;
      expect(alive.size).toBeGreaterThanOrEqual(Math.floor(0.9 * (before.length / 3)));
      expect(alive.size).toBeLessThanOrEqual(Math.ceil(1.1 * (before.length / 3)) + 5);
      // and the survivors are the good ones: only the first few arrivals (judged against almost
      // nothing) can pass from the worse half of their cohort
      const cutoff = [...before].map((i) => quality[i]).sort((x, y) => x - y)[Math.floor(before.length / 2)];
      const lucky = [...alive].filter((i) => quality[i] > cutoff).length;
      expect(lucky).toBeLessThanOrEqual(Math.max(2, 0.05 * alive.size));
    }
    expect(a.rungs).toEqual([1, 3, 9, 27]);
  });

  it('judges a sparse reporter at every rung it jumps over, and stops NaN results', () => {
    const a = asha();
    a.onReport('a', 1, 0.1);
    a.onReport('a', 3, 0.1);
    expect(a.onReport('b', 10, 0.5)).toBe('stop'); // judged at rung 0 (ok: n=2, top 1? no: 0.1 better)
    expect(a.onReport('c', 1, Number.NaN)).toBe('stop');
  });

  it('maximises when the objective is an accuracy', () => {
    const a = new Asha('maximize', { min_resource: 1, max_resource: 9, reduction_factor: 3 });
    expect(a.onReport('a', 1, 0.9)).toBe('continue');
    expect(a.onReport('b', 1, 0.5)).toBe('stop');
    expect(a.onReport('c', 1, 0.95)).toBe('continue');
  });
});

describe('scheduler from config', () => {
  it('builds the configured scheduler', () => {
    const objective = { type: 'metric' as const, metric: 'valid_loss' as const, goal: 'minimize' as const };
    expect(createScheduler({ objective, early_stopping: { type: 'none' } })).toBeInstanceOf(NoStopping);
    expect(
      createScheduler({
        objective,
        early_stopping: {
          type: 'asha',
          resource: 'epochs',
          min_resource: 1,
          max_resource: 9,
          reduction_factor: 3,
        },
      }),
    ).toBeInstanceOf(Asha);
    expect(new NoStopping().onReport()).toBe('continue');
  });
});
