import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS } from '../../../../openapi/schemas/hyperparameters';
import { peakLearningRate, resolveTrainerConfig } from '../../../../runner/config';
import { learningRateAt } from '../../../../runner/optim';

describe('trainer config', () => {
  it('lays requested values over the commented defaults; a preset holds only overrides', () => {
    const c = resolveTrainerConfig({ n_epochs: 5 }, { preset: 'pretrain-tiny' });
    expect(c.hyperparameters).toEqual({
      ...DEFAULT_HYPERPARAMETERS,
      learning_rate: 3e-3,
      lr_scheduler: 'cosine',
      warmup_steps: 20,
      weight_decay: 0.1,
      batch_size: 16,
      n_epochs: 5,
    });
    expect(c.autoBatchSize).toBe(false);
  });

  it('treats "auto" as the default, except batch_size "auto", which asks for the memory probe', () => {
    const c = resolveTrainerConfig({ batch_size: 'auto', learning_rate: 'auto', n_epochs: 'auto' });
    expect(c.autoBatchSize).toBe(true);
    expect(c.hyperparameters.learning_rate).toBe(DEFAULT_HYPERPARAMETERS.learning_rate);
  });

  it('turns warmup_ratio into warmup_steps once the step count is known', () => {
    expect(
      resolveTrainerConfig({ warmup_ratio: 0.1 }, { totalSteps: 250 }).hyperparameters.warmup_steps,
    ).toBe(25);
    // Without it, the trainer applies the ratio to its own step count.
    expect(resolveTrainerConfig({ warmup_ratio: 0.1 }).warmupRatio).toBe(0.1);
  });

  it('passes a resolved set (with its seed) through unchanged', () => {
    const resolved = { ...DEFAULT_HYPERPARAMETERS, seed: 99, optimizer: 'sgd' as const };
    expect(resolveTrainerConfig(resolved).hyperparameters).toEqual(resolved);
  });

  it('learning_rate_multiplier scales the peak rate the schedule uses', () => {
    const h = resolveTrainerConfig({
      learning_rate: 1e-3,
      learning_rate_multiplier: 4,
      lr_scheduler: 'constant',
    }).hyperparameters;
    expect(peakLearningRate(h)).toBeCloseTo(4e-3, 12);
    expect(
      learningRateAt(10, {
        peak: peakLearningRate(h),
        scheduler: 'constant',
        warmupSteps: 0,
        warmupType: 'linear',
        totalSteps: 100,
      }),
    ).toBeCloseTo(4e-3, 12);
  });

  it('rejects bad values naming the field', () => {
    expect(() => resolveTrainerConfig({ dropout: 1.5 })).toThrow(/dropout/);
    expect(() => resolveTrainerConfig({ optimizer: 'lion' })).toThrow(/optimizer/);
    expect(() => resolveTrainerConfig({}, { preset: 'nope' })).toThrow(/unknown preset 'nope'/);
  });
});
