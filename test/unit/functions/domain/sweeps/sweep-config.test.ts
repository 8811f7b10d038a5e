import { describe, expect, it } from 'vitest';
import { SweepConfigSchema } from '../../../../../openapi/schemas/sweep';

const objective = { metric: 'valid_loss', goal: 'minimize' };

function issues(input: unknown): [string, string][] {
  const r = SweepConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => [i.path.join('.'), i.message]);
}

describe('sweep config schema', () => {
  it('accepts a typical TPE sweep and fills Optuna-like defaults', () => {
    const cfg = SweepConfigSchema.parse({
      search_space: {
        learning_rate: { type: 'float', low: 1e-5, high: 1e-2, scale: 'log' },
        batch_size: { type: 'int', low: 8, high: 64, step: 8 },
        optimizer: { type: 'categorical', choices: ['adamw', 'sgd'] },
        momentum: {
          type: 'float',
          low: 0.5,
          high: 0.99,
          condition: { parameter: 'optimizer', equals: 'sgd' },
        },
      },
      objective,
      strategy: { type: 'tpe', seed: 7 },
      early_stopping: { type: 'asha', max_resource: 27 },
      limits: { max_trials: 40, max_parallel_trials: 4 },
      completion: { target_value: 0.1, no_improvement_trials: 10 },
      warm_start: { sweep_ids: ['sweep-abc'] },
    });
    expect(cfg.strategy).toMatchObject({
      type: 'tpe',
      n_startup_trials: 10,
      n_ei_candidates: 24,
      gamma_factor: 0.1,
      gamma_max: 25,
      prior_weight: 1,
      constant_liar: true,
    });
    expect(cfg.early_stopping).toMatchObject({ min_resource: 1, reduction_factor: 3, resource: 'epochs' });
    expect(cfg.search_space.learning_rate).toMatchObject({ scale: 'log' });
  });

  it('names the field and the rule for bounds and log scale', () => {
    expect(issues({ search_space: { lr: { type: 'float', low: 1, high: 1 } }, objective })).toContainEqual([
      'search_space.lr.high',
      'high must be greater than low (1)',
    ]);
    expect(
      issues({ search_space: { lr: { type: 'float', low: 0, high: 1, scale: 'log' } }, objective }),
    ).toContainEqual(['search_space.lr.low', 'log scale needs low > 0']);
    expect(
      issues({ search_space: { n: { type: 'int', low: 1, high: 10, step: 2 } }, objective }),
    ).toContainEqual(['search_space.n.high', 'high - low must be a multiple of step (2)']);
    expect(
      issues({ search_space: { n: { type: 'int', low: 1, high: 9, step: 2, scale: 'log' } }, objective }),
    ).toContainEqual(['search_space.n.step', 'log scale needs step = 1']);
    expect(
      issues({ search_space: { c: { type: 'categorical', choices: ['a', 'a'] } }, objective }),
    ).toContainEqual(['search_space.c.choices', 'choices must be unique']);
  });

  it('requires conditions to refer to an existing categorical parameter and its choices', () => {
    const space = (condition: unknown) => ({
      search_space: {
        optimizer: { type: 'categorical', choices: ['adam', 'sgd'] },
        lr: { type: 'float', low: 0.1, high: 1 },
        momentum: { type: 'float', low: 0, high: 1, condition },
      },
      objective,
    });
    expect(issues(space({ parameter: 'optimiser', equals: 'sgd' }))).toContainEqual([
      'search_space.momentum.condition.parameter',
      "condition refers to 'optimiser', which is not in search_space",
    ]);
    expect(issues(space({ parameter: 'lr', equals: 0.5 }))).toContainEqual([
      'search_space.momentum.condition.parameter',
      "condition must refer to a categorical parameter; 'lr' is float",
    ]);
    expect(issues(space({ parameter: 'optimizer', equals: 'rmsprop' }))).toContainEqual([
      'search_space.momentum.condition.equals',
      '"rmsprop" is not one of the choices of \'optimizer\'',
    ]);
    expect(issues(space({ parameter: 'optimizer' }))).toContainEqual([
      'search_space.momentum.condition',
      'condition needs exactly one of equals or in',
    ]);
    expect(issues(space({ parameter: 'optimizer', in: ['sgd'] }))).toEqual([]);
  });

  it('rejects cycles between conditions', () => {
    const out = issues({
      search_space: {
        a: { type: 'categorical', choices: [1, 2], condition: { parameter: 'b', equals: 1 } },
        b: { type: 'categorical', choices: [1, 2], condition: { parameter: 'a', equals: 1 } },
      },
      objective,
    });
    expect(
      out.some(
        ([path, msg]) => path === 'search_space.a.condition' && msg.startsWith('conditions form a cycle'),
      ),
    ).toBe(true);
  });

  it('checks limits, ASHA resources and grid needs across fields', () => {
    expect(
      issues({
        search_space: { x: { type: 'float', low: 0, high: 1 } },
        objective,
        limits: { max_trials: 4, max_parallel_trials: 8 },
      }),
    ).toContainEqual(['limits.max_parallel_trials', 'max_parallel_trials must be ≤ max_trials (4)']);
    expect(
      issues({
        search_space: { x: { type: 'float', low: 0, high: 1 } },
        objective,
        early_stopping: { type: 'asha', min_resource: 9, max_resource: 9 },
      }),
    ).toContainEqual(['early_stopping.max_resource', 'max_resource must be greater than min_resource (9)']);
    expect(
      issues({
        search_space: { x: { type: 'float', low: 0, high: 1 } },
        objective,
        strategy: { type: 'grid' },
      }),
    ).toContainEqual(['search_space.x.grid_points', 'grid strategy needs grid_points on float parameters']);
    expect(
      issues({
        search_space: { x: { type: 'int', low: 0, high: 1_000_000 } },
        objective,
        strategy: { type: 'grid' },
      })[0][1],
    ).toMatch(/^grid has 1000001 points/);
  });

  it('rejects unknown fields and unknown metrics', () => {
    expect(
      issues({ search_space: { x: { type: 'float', low: 0, high: 1, log: true } }, objective }).length,
    ).toBeGreaterThan(0);
    expect(
      issues({
        search_space: { x: { type: 'float', low: 0, high: 1 } },
        objective: { metric: 'bleu', goal: 'maximize' },
      })[0][0],
    ).toBe('objective.metric');
  });
});
