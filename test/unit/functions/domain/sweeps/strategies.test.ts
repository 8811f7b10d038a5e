import { describe, expect, it } from 'vitest';
import type { SearchSpace } from '../../../../../openapi/schemas/sweep';
import {
  GridStrategy,
  RandomStrategy,
  TpeStrategy,
  createStrategy,
  enumerateGrid,
  paramsKey,
  warmStartTrials,
  type Params,
  type Strategy,
} from '../../../../../functions/domain/sweeps';

const conditional: SearchSpace = {
  learning_rate: { type: 'float', low: 1e-5, high: 1e-1, scale: 'log', grid_points: 3 },
  optimizer: { type: 'categorical', choices: ['adamw', 'sgd'] },
  momentum: {
    type: 'float',
    low: 0.5,
    high: 0.9,
    scale: 'linear',
    grid_points: 3,
    condition: { parameter: 'optimizer', equals: 'sgd' },
  },
  nesterov: {
    type: 'categorical',
    choices: [true, false],
    condition: { parameter: 'optimizer', equals: 'sgd' },
  },
  batch_size: { type: 'int', low: 8, high: 32, step: 8, scale: 'linear' },
};

/** Run `n` sequential trials of `f` (minimised) and return the values in order. */
function run(s: Strategy, f: (p: Params) => number, n: number): { params: Params; value: number }[] {
  const out = [];
  for (let i = 0; i < n; i++) {
    const params = s.suggest(`t${i}`);
    if (!params) break;
    const value = f(params);
    s.observe({ id: `t${i}`, params, state: 'complete', value });
    out.push({ params, value });
  }
  return out;
}

function ksUniform(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  return Math.max(...v.map((x, i) => Math.max((i + 1) / v.length - x, x - i / v.length)));
}

describe('grid strategy', () => {
  it('enumerates the full product, multiplying conditional parameters only where their condition holds', () => {
    const points = enumerateGrid(conditional);
    // adamw: 3 lr × 4 batch; sgd: 3 lr × 3 momentum × 2 nesterov × 4 batch
    expect(points).toHaveLength(3 * 4 + 3 * 3 * 2 * 4);
    expect(new Set(points.map(paramsKey)).size).toBe(points.length);
    expect(
      points.filter((p) => p.optimizer === 'adamw').every((p) => !('momentum' in p) && !('nesterov' in p)),
    ).toBe(true);
    expect(points.filter((p) => p.optimizer === 'sgd').every((p) => 'momentum' in p && 'nesterov' in p)).toBe(
      true,
    );
    expect([...new Set(points.map((p) => p.learning_rate))]).toEqual([1e-5, expect.closeTo(1e-3, 12), 1e-1]);
    expect([...new Set(points.map((p) => p.batch_size))]).toEqual([8, 16, 24, 32]);
  });

  it('hands out every point once, skipping running ones, then reports exhaustion', () => {
    const g = new GridStrategy(conditional);
    const seen: Params[] = [];
    for (let i = 0; i < g.size(); i++) seen.push(g.suggest(`t${i}`) as Params); // all "running" at once
    expect(new Set(seen.map(paramsKey)).size).toBe(g.size());
    expect(seen).toEqual(enumerateGrid(conditional));
    expect(g.suggest('extra')).toBeNull();
  });

  it('skips points already evaluated in a warm-start sweep', () => {
    const g = new GridStrategy({ x: { type: 'categorical', choices: [1, 2, 3] } });
    g.observe({ id: 'old', params: { x: 1 }, state: 'complete', value: 0 });
    expect(g.suggest('a')).toEqual({ x: 2 });
  });
});

describe('random strategy', () => {
  it('stays within bounds, steps and choices, and activates conditionals only when they hold', () => {
    const s = new RandomStrategy(conditional, 1);
    for (let i = 0; i < 500; i++) {
      const p = s.suggest(`t${i}`) as Params;
      expect(p.learning_rate).toBeGreaterThanOrEqual(1e-5);
      expect(p.learning_rate).toBeLessThanOrEqual(1e-1);
      expect([8, 16, 24, 32]).toContain(p.batch_size);
      expect('momentum' in p).toBe(p.optimizer === 'sgd');
      expect('nesterov' in p).toBe(p.optimizer === 'sgd');
      if (p.optimizer === 'sgd') expect(p.momentum).toBeGreaterThanOrEqual(0.5);
    }
  });

  it('is reproducible from its seed and differs across seeds', () => {
    const draw = (seed: number) =>
      Array.from({ length: 20 }, (_, i) => new RandomStrategy(conditional, seed).suggest(`t${i}`));
    const seq = (seed: number) => {
      const s = new RandomStrategy(conditional, seed);
      return Array.from({ length: 20 }, (_, i) => s.suggest(`t${i}`));
    };
    expect(seq(42)).toEqual(seq(42));
    expect(seq(42)).not.toEqual(seq(43));
    // Each suggestion depends on its ordinal, not only the seed: a fresh strategy's first draws coincide.
    expect(new Set(draw(42).map((p) => paramsKey(p as Params))).size).toBe(1);
  });

  it('samples log-scale parameters log-uniformly (KS test, fixed seed)', () => {
    const space: SearchSpace = { lr: { type: 'float', low: 1e-6, high: 1, scale: 'log' } };
    const s = new RandomStrategy(space, 2024);
    const xs = Array.from({ length: 2000 }, (_, i) => (s.suggest(`t${i}`) as Params).lr as number);
    const critical = 1.36 / Math.sqrt(xs.length); // α = 0.05
    expect(ksUniform(xs.map((x) => (Math.log10(x) + 6) / 6))).toBeLessThan(critical);
    // The same values are far from uniform on the linear scale: the test can tell them apart.
    expect(ksUniform(xs)).toBeGreaterThan(10 * critical);
    // and every decade gets about a sixth of the draws
    for (let d = -6; d < 0; d++) {
      const share = xs.filter((x) => x >= 10 ** d && x < 10 ** (d + 1)).length / xs.length;
      expect(share).toBeGreaterThan(1 / 6 - 0.03);
      expect(share).toBeLessThan(1 / 6 + 0.03);
    }
  });

  it('gives log-scale ints the mass of their cell in log space', () => {
    // One draw from each of 3000 seeds: the sampling distribution itself, without the strategy's
    // avoidance of repeats (which, by design, spreads a long sequence over unused values).
    const space: SearchSpace = { n: { type: 'int', low: 1, high: 1000, step: 1, scale: 'log' } };
    const xs = Array.from(
      { length: 3000 },
      (_, i) => (new RandomStrategy(space, i).suggest('t') as Params).n as number,
    );
    expect(xs.every((x) => Number.isInteger(x) && x >= 1 && x <= 1000)).toBe(true);
    const small = xs.filter((x) => x <= 31).length / xs.length; // ≈ log(31.5/0.5)/log(1000.5/0.5) ≈ 0.545
    expect(small).toBeGreaterThan(0.5);
    expect(small).toBeLessThan(0.59);
  });
});

describe('TPE strategy', () => {
  const space: SearchSpace = { x: { type: 'float', low: -10, high: 10, scale: 'linear' } };
  const f = (p: Params) => ((p.x as number) - 3.3) ** 2;

  it('concentrates its suggestions near the optimum of a 1-D problem, far more than random search', () => {
    let tpeNear = 0;
    let rndNear = 0;
    const tpeBest: number[] = [];
    const rndBest: number[] = [];
    for (let seed = 0; seed < 10; seed++) {
      const t = run(new TpeStrategy(space, 'minimize', seed), f, 60);
      const r = run(new RandomStrategy(space, seed), f, 60);
      tpeNear += t.slice(20).filter((x) => Math.abs((x.params.x as number) - 3.3) < 1).length;
      rndNear += r.slice(20).filter((x) => Math.abs((x.params.x as number) - 3.3) < 1).length;
      tpeBest.push(Math.min(...t.map((x) => x.value)));
      rndBest.push(Math.min(...r.map((x) => x.value)));
    }
    // random puts ~10 % of its trials within ±1 of the optimum; TPE several times as many
    // (optuna 3.1's TPESampler: 44 % on this problem over 40 seeds)
    expect(rndNear / 400).toBeLessThan(0.15);
    expect(tpeNear / 400).toBeGreaterThan(0.3);
    expect(tpeNear).toBeGreaterThan(3 * rndNear);
    const med = (v: number[]) => [...v].sort((a, b) => a - b)[5];
    expect(med(tpeBest)).toBeLessThan(med(rndBest) / 10);
  });

  it('keeps stepped ints on their step grid once the model takes over', () => {
    const stepped: SearchSpace = { batch: { type: 'int', low: 8, high: 256, step: 8, scale: 'linear' } };
    const trials = run(
      new TpeStrategy(stepped, 'minimize', 4),
      (p) => Math.abs((p.batch as number) - 100),
      40,
    );
    expect(
      trials.every(
        (t) =>
          (t.params.batch as number) % 8 === 0 &&
          (t.params.batch as number) >= 8 &&
          (t.params.batch as number) <= 256,
      ),
    ).toBe(true);
    expect(Math.min(...trials.map((t) => t.value))).toBeLessThanOrEqual(4); // 96 or 104
  });

  it('maximises when asked to', () => {
    const t = run(new TpeStrategy(space, 'maximize', 5), (p) => -f(p), 50);
    expect(Math.max(...t.map((x) => x.value))).toBeGreaterThan(-0.05);
  });

  it('handles log-scale, int and categorical parameters, finding the good region of each', () => {
    const mixed: SearchSpace = {
      lr: { type: 'float', low: 1e-6, high: 1, scale: 'log' },
      layers: { type: 'int', low: 1, high: 12, step: 1, scale: 'linear' },
      act: { type: 'categorical', choices: ['relu', 'gelu', 'tanh', 'sigmoid'] },
    };
    const g = (p: Params) =>
      (Math.log10(p.lr as number) + 3) ** 2 +
      ((p.layers as number) - 4) ** 2 / 4 +
      (p.act === 'gelu' ? 0 : 2);
    const trials = run(new TpeStrategy(mixed, 'minimize', 11), g, 80);
    const late = trials.slice(40).map((t) => t.params);
    expect(late.filter((p) => p.act === 'gelu').length).toBeGreaterThan(20);
    expect(late.filter((p) => Math.abs(Math.log10(p.lr as number) + 3) < 1).length).toBeGreaterThan(20);
    expect(
      late.every(
        (p) => Number.isInteger(p.layers) && (p.layers as number) >= 1 && (p.layers as number) <= 12,
      ),
    ).toBe(true);
  });

  it('samples a conditional parameter only when its condition holds, and learns it on that branch', () => {
    const space2: SearchSpace = {
      optimizer: { type: 'categorical', choices: ['adamw', 'sgd'] },
      momentum: {
        type: 'float',
        low: 0,
        high: 0.99,
        scale: 'linear',
        condition: { parameter: 'optimizer', in: ['sgd'] },
      },
    };
    const g = (p: Params) => (p.optimizer === 'sgd' ? ((p.momentum as number) - 0.9) ** 2 : 0.05);
    const trials = run(new TpeStrategy(space2, 'minimize', 3), g, 60);
    for (const { params } of trials) expect('momentum' in params).toBe(params.optimizer === 'sgd');
    const lateSgd = trials.slice(30).filter((t) => t.params.optimizer === 'sgd');
    expect(lateSgd.filter((t) => Math.abs((t.params.momentum as number) - 0.9) < 0.2).length).toBeGreaterThan(
      lateSgd.length / 2,
    );
  });

  it('constant liar: parallel suggestions do not pile onto one spot', () => {
    const spread = (liar: boolean) => {
      let total = 0;
      for (let seed = 0; seed < 10; seed++) {
        const s = new TpeStrategy(space, 'minimize', seed, { constant_liar: liar });
        run(s, f, 20);
        const xs = Array.from({ length: 8 }, (_, i) => (s.suggest(`p${i}`) as Params).x as number); // 8 running at once
        expect(new Set(xs).size).toBe(8);
        const mean = xs.reduce((a, b) => a + b, 0) / 8;
        total += Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / 8);
      }
      return total / 10;
    };
    expect(spread(true)).toBeGreaterThan(1.5 * spread(false));
  });

  it('never hands out the same assignment twice in a small discrete space while free points remain', () => {
    const small: SearchSpace = {
      a: { type: 'int', low: 0, high: 3, step: 1, scale: 'linear' },
      b: { type: 'categorical', choices: ['x', 'y'] },
    };
    const s = new TpeStrategy(small, 'minimize', 9, { n_startup_trials: 2 });
    run(s, (p) => (p.a as number) + (p.b === 'x' ? 0 : 1), 3);
    const parallel = Array.from({ length: 5 }, (_, i) => paramsKey(s.suggest(`p${i}`) as Params));
    expect(new Set(parallel).size).toBe(5);
  });

  it('replays: a strategy rebuilt from the same seed and history suggests the same parameters', () => {
    const a = new TpeStrategy(space, 'minimize', 77);
    const trials = run(a, f, 25);
    const b = new TpeStrategy(space, 'minimize', 77);
    trials.forEach((t, i) => b.observe({ id: `t${i}`, params: t.params, state: 'complete', value: t.value }));
    expect(b.suggest('next')).toEqual(a.suggest('next'));
  });

  it('warm start: trials of an earlier sweep steer the very first suggestions', () => {
    let near = 0;
    for (let seed = 0; seed < 20; seed++) {
      const earlier = run(new RandomStrategy(space, 100 + seed), f, 30).map((t, i) => ({
        id: `old${i}`,
        params: t.params,
        state: 'complete' as const,
        value: t.value,
      }));
      const s = createStrategy(
        {
          search_space: space,
          objective: { type: 'metric', metric: 'valid_loss', goal: 'minimize' },
          strategy: {
            type: 'tpe',
            seed,
            n_startup_trials: 10,
            n_ei_candidates: 24,
            gamma_factor: 0.1,
            gamma_max: 25,
            prior_weight: 1,
            consider_magic_clip: true,
            consider_endpoints: false,
            constant_liar: true,
          },
        },
        0,
      );
      warmStartTrials({ search_space: space }, earlier).forEach((t) => s.observe(t));
      if (Math.abs(((s.suggest('first') as Params).x as number) - 3.3) < 1.5) near++;
    }
    expect(near).toBeGreaterThanOrEqual(15); // a cold start lands there 15 % of the time
  });

  it('warm start drops values that do not fit the new space', () => {
    const out = warmStartTrials({ search_space: space }, [
      { id: 'a', params: { x: 50, y: 1 }, state: 'complete', value: 1 },
      { id: 'b', params: { x: 2 }, state: 'complete', value: 1 },
      { id: 'c', params: { x: 2 }, state: 'running' },
    ]);
    expect(out).toEqual([{ id: 'warm:b', params: { x: 2 }, state: 'complete', value: 1 }]);
  });
});
