import { describe, expect, it } from 'vitest';
import {
  HyperparametersSchema,
  ResolvedHyperparametersSchema,
  type Hyperparameters,
} from '../../../../../openapi/schemas/hyperparameters';
import { ValidationError } from '../../../../../functions/errors';
import {
  autoEpochs,
  resolveHyperparameters,
  type DataFacts,
} from '../../../../../functions/domain/hyperparameters';
import { describeConfig, type BaseModelInfo } from '../../../../../functions/domain/models';
import type { Provider } from '../../../../../functions/domain/records';

const gpt2Small: BaseModelInfo = describeConfig(
  'gpt2',
  { model_type: 'gpt2', n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, vocab_size: 50257 },
  'config.json of gpt2',
);

const chat: DataFacts = {
  format: 'chat',
  trainingExamples: 1000,
  trainingTokens: 50_000,
  validationExamples: null,
};
const PREFIX = 'method.supervised.hyperparameters';

function resolve(requested: Hyperparameters, data: Partial<DataFacts> = {}, provider: Provider = 'local') {
  return resolveHyperparameters({
    requested,
    prefix: PREFIX,
    provider,
    model: gpt2Small,
    data: { ...chat, ...data },
    seed: 7,
  });
}

function rejection(
  requested: Hyperparameters,
  data: Partial<DataFacts> = {},
  provider: Provider = 'local',
): ValidationError {
  try {
    resolve(requested, data, provider);
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

describe('resolving auto hyperparameters', () => {
  it('resolves everything to a schema-valid concrete set, explaining each auto', () => {
    const r = resolve({});
    expect(ResolvedHyperparametersSchema.parse(r.hyperparameters)).toEqual(r.hyperparameters);
    for (const field of [
      'n_epochs',
      'batch_size',
      'learning_rate',
      'learning_rate_multiplier',
      'max_sequence_length',
      'eval_interval_steps',
      'checkpoint_interval_steps',
      'warmup_steps',
    ]) {
      expect(r.explanations[field], field).toBeTruthy();
    }
    expect(r.hyperparameters.seed).toBe(7);
  });

  it('picks epochs like OpenAI: 3 normally, more for tiny data, fewer for huge data', () => {
    expect(autoEpochs(1000).value).toBe(3);
    expect(autoEpochs(10).value).toBe(10);
    expect(autoEpochs(2).value).toBe(25);
    expect(autoEpochs(20_000).value).toBe(1);
    expect(autoEpochs(10_000).value).toBe(2);
  });

  it('uses the model context as max_sequence_length and the model default rate as learning_rate', () => {
    const r = resolve({ learning_rate_multiplier: 2 });
    expect(r.hyperparameters.max_sequence_length).toBe(1024);
    expect(r.hyperparameters.learning_rate).toBe(gpt2Small.defaultLearningRate);
    expect(r.hyperparameters.learning_rate_multiplier).toBe(2);
    expect(r.explanations.learning_rate).toMatch(
      /peak rate is learning_rate × learning_rate_multiplier = 0\.0006/,
    );
  });

  it('sizes auto batch by data and memory, and says how', () => {
    // gpt2 (124M) at 128 tokens: ~2 GB for weights, gradients and Adam moments, ~100 MiB per example.
    const data = resolve({ max_sequence_length: 128 }, { trainingExamples: 10_000 });
    expect(data.hyperparameters.batch_size).toBe(16); // 0.2% of 10,000 = 20 → 16; memory allows 16 too
    expect(data.explanations.batch_size).toMatch(/memory rule.*GiB/);
    const local = resolve({ max_sequence_length: 128 }, { trainingExamples: 100_000 });
    expect(local.hyperparameters.batch_size).toBe(16); // the data rule says 128; the 4 GiB local budget caps it
    const gpu = resolve({ max_sequence_length: 128 }, { trainingExamples: 100_000 }, 'batch');
    expect(gpu.hyperparameters.batch_size).toBe(128); // a 16 GiB GPU fits the data rule's 128
    const full = resolve({}, { trainingExamples: 100_000 });
    expect(full.hyperparameters.batch_size).toBe(1); // 1024 tokens per example: one fits locally
  });

  it('counts steps from data size, batch and accumulation', () => {
    const r = resolve(
      { n_epochs: 2, batch_size: 8, gradient_accumulation_steps: 2 },
      { trainingExamples: 100 },
    );
    expect(r.stepsPerEpoch).toBe(7); // ⌈100 / 16⌉
    expect(r.totalSteps).toBe(14);
  });

  it('max_steps ends training early: fewer total steps, the schedules and intervals span them, explained', () => {
    const r = resolve(
      { n_epochs: 3, batch_size: 10, max_steps: 40, warmup_ratio: 0.25 },
      { trainingExamples: 1000 },
    );
    expect(r.stepsPerEpoch).toBe(100);
    expect(r.totalSteps).toBe(40); // n_epochs alone: 300
    expect(r.hyperparameters.max_steps).toBe(40);
    expect(r.hyperparameters.warmup_steps).toBe(10);
    expect(r.hyperparameters.checkpoint_interval_steps).toBeLessThanOrEqual(40);
    expect(r.examplesSeen).toBe(400);
    expect(r.explanations.max_steps).toMatch(/training ends after 40 steps, before the 300/);
    expect(r.explanations.n_epochs).toMatch(/max_steps ends training sooner/);
    expect(ResolvedHyperparametersSchema.parse(r.hyperparameters)).toEqual(r.hyperparameters);
  });

  it('max_steps beyond what n_epochs runs, or null, leaves the plan alone', () => {
    const beyond = resolve({ n_epochs: 1, batch_size: 10, max_steps: 500 }, { trainingExamples: 1000 });
    expect(beyond.totalSteps).toBe(100);
    expect(beyond.explanations.max_steps).toMatch(/n_epochs ends training first, after 100 steps/);
    const off = resolve({ n_epochs: 1, batch_size: 10, max_steps: null }, { trainingExamples: 1000 });
    expect(off.totalSteps).toBe(100);
    expect(off.hyperparameters.max_steps).toBeNull();
    expect(resolve({}).hyperparameters.max_steps).toBeNull();
  });

  it('turns warmup_ratio into warm-up steps', () => {
    const r = resolve({ n_epochs: 1, batch_size: 10, warmup_ratio: 0.1 }, { trainingExamples: 1000 });
    expect(r.hyperparameters.warmup_steps).toBe(10);
    expect(r.explanations.warmup_steps).toMatch(/warmup_ratio 0.1 × 100 total steps/);
  });
});

describe('cross-field rules', () => {
  it('warm-up must be shorter than training, with the step count explained', () => {
    const e = rejection({ n_epochs: 1, batch_size: 10, warmup_steps: 100 }, { trainingExamples: 1000 });
    expect(e.param).toBe(`${PREFIX}.warmup_steps`);
    expect(e.message).toMatch(/warmup_steps \(100\) must be less than the total steps \(100; ⌈1000 examples/);
  });

  it('max_steps is a positive integer, and warm-up must fit in it', () => {
    for (const bad of [0, -3, 2.5, '10'])
      expect(HyperparametersSchema.safeParse({ max_steps: bad }).success, String(bad)).toBe(false);
    const e = rejection(
      { n_epochs: 1, batch_size: 10, max_steps: 20, warmup_steps: 20 },
      { trainingExamples: 1000 },
    );
    expect(e.param).toBe(`${PREFIX}.warmup_steps`);
    expect(e.message).toMatch(/less than the total steps \(20; max_steps 20/);
  });

  it('warmup_steps and warmup_ratio are mutually exclusive', () => {
    expect(rejection({ warmup_steps: 1, warmup_ratio: 0.1 }).param).toBe(`${PREFIX}.warmup_ratio`);
  });

  it('early stopping and reduce_on_plateau need validation data', () => {
    const e = rejection({ early_stopping: HyperparametersSchema.shape.early_stopping.parse({}) as never });
    expect(e.param).toBe(`${PREFIX}.early_stopping`);
    expect(e.message).toMatch(/needs validation data: set validation_file/);
    expect(rejection({ lr_scheduler: 'reduce_on_plateau' }).param).toBe(`${PREFIX}.lr_scheduler`);
    expect(() =>
      resolve(
        { lr_scheduler: 'reduce_on_plateau', early_stopping: { patience: 2 } as never },
        { validationExamples: 50 },
      ),
    ).not.toThrow();
  });

  it('stratified sampling needs classification data', () => {
    const e = rejection({ sampling: { strategy: 'stratified' } as never });
    expect(e.param).toBe(`${PREFIX}.sampling.strategy`);
    expect(() =>
      resolve({ sampling: { strategy: 'stratified' } as never }, { format: 'classification' }),
    ).not.toThrow();
  });

  it('weighted sampling needs the weight field on the examples', () => {
    const e = rejection(
      { sampling: { strategy: 'weighted', weight_field: 'w' } as never },
      { hasWeightField: false },
    );
    expect(e.param).toBe(`${PREFIX}.sampling.weight_field`);
    expect(e.message).toMatch(/"w"/);
    expect(() =>
      resolve({ sampling: { strategy: 'weighted', weight_field: 'w' } as never }, { hasWeightField: true }),
    ).not.toThrow();
  });

  it('learning_rate and learning_rate_multiplier are mutually exclusive', () => {
    expect(rejection({ learning_rate: 1e-4, learning_rate_multiplier: 2 }).param).toBe(
      `${PREFIX}.learning_rate`,
    );
  });

  it('optimizer-specific settings need their optimizer', () => {
    expect(rejection({ momentum: 0.8 }).message).toMatch(/momentum applies only to optimizer "sgd"/);
    expect(rejection({ optimizer: 'sgd', beta2: 0.99 }).param).toBe(`${PREFIX}.beta2`);
  });

  it('max_sequence_length cannot exceed the context', () => {
    expect(rejection({ max_sequence_length: 4096 }).message).toMatch(/context length \(1024\)/);
  });

  it('provider openai lists every field it cannot honour', () => {
    const e = rejection({ n_epochs: 2, optimizer: 'adam', dropout: 0.1, warmup_steps: 3 }, {}, 'openai');
    expect(e.code).toBe('unsupported_by_provider');
    expect(e.message).toMatch(/cannot honour these hyperparameters: optimizer, dropout, warmup_steps/);
    expect(() =>
      resolve({ n_epochs: 2, batch_size: 4, learning_rate_multiplier: 0.5 }, {}, 'openai'),
    ).not.toThrow();
    expect(rejection({}, { format: 'classification' }, 'openai').param).toBe('training_file');
    expect(rejection({ max_steps: 10 }, {}, 'openai').param).toBe(`${PREFIX}.max_steps`);
  });

  it('uses the prefix the request used', () => {
    const e = resolveHyperparameters.bind(null, {
      requested: { warmup_steps: 1, warmup_ratio: 0.1 },
      prefix: 'hyperparameters',
      provider: 'local',
      model: gpt2Small,
      data: chat,
      seed: 1,
    });
    expect(e).toThrow(expect.objectContaining({ param: 'hyperparameters.warmup_ratio' }));
  });
});
