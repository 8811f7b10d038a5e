import { describe, expect, it } from 'vitest';
import { estimateFromPlan, THROUGHPUT } from '../../../../../functions/domain/estimate';
import { resolveHyperparameters } from '../../../../../functions/domain/hyperparameters';
import type { Hyperparameters } from '../../../../../openapi/schemas/hyperparameters';
import type { JobPlan } from '../../../../../functions/domain/jobs';
import { describeConfig, estimateParameters } from '../../../../../functions/domain/models';
import type { FileRecord, Provider } from '../../../../../functions/domain/records';

const gpt2Config = {
  model_type: 'gpt2',
  n_positions: 1024,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  vocab_size: 50257,
};
const file: FileRecord = {
  id: 'file-1',
  tenantId: 't',
  filename: 'f',
  bytes: 1,
  purpose: 'fine-tune',
  createdAt: 0,
  status: 'processed',
  format: 'chat',
  exampleCount: 500,
  tokenCount: 100_000,
  blobKey: 'k',
};

function plan(
  provider: Provider,
  config: Record<string, unknown> = gpt2Config,
  requested: Hyperparameters = {},
  method: 'supervised' | 'dpo' = 'supervised',
): JobPlan {
  const model = describeConfig('m', config, 'config.json of m');
  const format = method === 'dpo' ? 'preference' : 'chat';
  const resolution = resolveHyperparameters({
    requested: { n_epochs: 2, batch_size: 4, ...requested },
    method,
    prefix: `method.${method}.hyperparameters`,
    provider,
    model,
    seed: 1,
    data: { format, trainingExamples: 500, trainingTokens: 100_000, validationExamples: null },
  });
  const trainingFile = { ...file, format } as const;
  return { provider, model, trainingFile, validationFile: null, method, requested: {}, resolution };
}

describe('model sizing from config.json', () => {
  it('counts GPT-2 small at ~124M parameters', () => {
    expect(estimateParameters(gpt2Config) / 1e6).toBeCloseTo(124.4, 0);
  });
  it('counts a Llama with grouped-query attention', () => {
    // TinyLlama-1.1B's shape.
    const n = estimateParameters({
      model_type: 'llama',
      hidden_size: 2048,
      intermediate_size: 5632,
      num_hidden_layers: 22,
      num_attention_heads: 32,
      num_key_value_heads: 4,
      vocab_size: 32000,
      tie_word_embeddings: false,
    });
    expect(n / 1e9).toBeCloseTo(1.1, 1);
  });
  it("counts a mixture of experts' every expert for memory and the top-k a token runs through for FLOPs", () => {
    // Mixtral-8x7B's shape: ~46.7B parameters, ~12.9B active per token (Mistral AI's figures).
    const mixtral = {
      model_type: 'mixtral',
      hidden_size: 4096,
      intermediate_size: 14336,
      num_hidden_layers: 32,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      vocab_size: 32000,
      tie_word_embeddings: false,
      num_local_experts: 8,
      num_experts_per_tok: 2,
    };
    const info = describeConfig('m', mixtral, 'c');
    expect(info.parameterCount / 1e9).toBeCloseTo(46.7, 1);
    expect(info.activeParameterCount! / 1e9).toBeCloseTo(12.9, 1);
    // one expert per token: the dense model's FLOPs plus the router's
    const top1 = describeConfig('m', { ...mixtral, model_type: 'llama', num_experts_per_tok: 1 }, 'c');
    const dense = estimateParameters({ ...mixtral, model_type: 'llama', num_local_experts: undefined });
    expect(top1.activeParameterCount).toBe(dense + 32 * 8 * 4096);
  });
  it('takes an explicit default learning rate from config.json', () => {
    expect(
      describeConfig('m', { ...gpt2Config, tuneplane_default_learning_rate: 5e-5 }, 'c').defaultLearningRate,
    ).toBe(5e-5);
  });
});

describe('estimate', () => {
  it('counts steps and trained tokens and sizes the run with the stated FLOP rate', () => {
    const e = estimateFromPlan(plan('local'));
    expect(e).toMatchObject({
      steps_per_epoch: 125,
      total_steps: 250,
      training_tokens: 100_000,
      trained_tokens: 200_000,
    });
    const params = estimateParameters(gpt2Config);
    const seq = e.hyperparameters.max_sequence_length;
    const attention = 6 * 12 * seq * 768; // layers × positions read × hidden, per token
    const expected = Math.ceil(
      THROUGHPUT.local.startupSeconds +
        ((6 * params + attention) * 200_000) / THROUGHPUT.local.flopsPerSecond,
    );
    expect(e.estimated_duration_seconds).toBe(expected);
    expect(e.duration_explanation).toMatch(
      new RegExp(
        `\\(6 × 124\\.4M parameters \\+ 6 × 12 layers × ${seq} positions \\(full attention\\) × 768\\) × 200000 trained tokens`,
      ),
    );
  });

  it('follows max_steps: fewer steps, the tokens of the examples those steps see, a shorter run', () => {
    const full = estimateFromPlan(plan('local'));
    const capped = estimateFromPlan(plan('local', gpt2Config, { max_steps: 50 }));
    expect(capped).toMatchObject({ steps_per_epoch: 125, total_steps: 50, trained_tokens: 40_000 });
    expect(capped.hyperparameters.max_steps).toBe(50);
    expect(capped.estimated_duration_seconds).toBeLessThan(full.estimated_duration_seconds / 4);
    // a cap beyond what n_epochs runs changes nothing
    expect(estimateFromPlan(plan('local', gpt2Config, { max_steps: 1000 }))).toMatchObject({
      total_steps: 250,
      trained_tokens: 200_000,
    });
  });

  it('adds DPO’s reference pass (forward only over every pair) and resolves its auto values', () => {
    const sft = estimateFromPlan(plan('local'));
    const dpo = estimateFromPlan(plan('local', gpt2Config, {}, 'dpo'));
    // the same trained tokens (the file's count already holds both answers), plus one forward pass
    expect(dpo).toMatchObject({ format: 'preference', total_steps: 250, trained_tokens: 200_000 });
    const params = estimateParameters(gpt2Config);
    const seq = dpo.hyperparameters.max_sequence_length;
    const perToken = 6 * params + 6 * 12 * seq * 768;
    const flops = perToken * 200_000 + (perToken / 3) * 100_000;
    expect(dpo.estimated_duration_seconds).toBe(
      Math.ceil(THROUGHPUT.local.startupSeconds + flops / THROUGHPUT.local.flopsPerSecond),
    );
    expect(dpo.estimated_duration_seconds).toBeGreaterThan(sft.estimated_duration_seconds);
    expect(dpo.duration_explanation).toMatch(/reference pass/);
    expect(dpo.hyperparameters).toMatchObject({ beta: 0.1, label_smoothing: 0, learning_rate: 3e-5 });
    expect(dpo.hyperparameter_explanations.learning_rate).toMatch(
      /DPO wants far smaller steps.* 0\.0003 .*× 0\.1 = 0\.00003/,
    );
    expect(dpo.hyperparameter_explanations.beta).toMatch(/^auto: 0.1/);
  });

  it('accounts for the architecture: attention type in the time, position tables in the size', () => {
    const long = { max_sequence_length: 1024 };
    const time = (over: object) =>
      estimateFromPlan(plan('local', { ...gpt2Config, ...over }, long)).estimated_duration_seconds;
    const full = time({});
    const sliding = time({ sliding_window: 512 });
    const linear = time({ attention_type: 'linear' });
    expect(sliding).toBeLessThan(full);
    expect(linear).toBeLessThan(sliding);
    expect(
      estimateFromPlan(plan('local', { ...gpt2Config, attention_type: 'linear' }, long)).duration_explanation,
    ).toMatch(/linear attention \(chunk 64 \+ state 64\)/);
    // learned positions are 1024 × 768 weights; RoPE has none
    expect(
      estimateParameters(gpt2Config) - estimateParameters({ ...gpt2Config, position_embedding_type: 'rope' }),
    ).toBe(1024 * 768);
  });

  it('sizes a mixture of experts by its active parameters, and its memory by all of them', () => {
    const small = {
      model_type: 'llama',
      hidden_size: 256,
      intermediate_size: 512,
      num_hidden_layers: 4,
      num_attention_heads: 4,
      max_position_embeddings: 256,
      vocab_size: 1000,
    };
    const moe = { ...small, num_local_experts: 8, num_experts_per_tok: 2 };
    const info = describeConfig('m', moe, 'c');
    const e = estimateFromPlan(plan('local', moe));
    const seq = e.hyperparameters.max_sequence_length as number;
    const flops = (6 * info.activeParameterCount! + 6 * 4 * seq * 256) * 200_000;
    expect(e.estimated_duration_seconds).toBe(
      Math.ceil(THROUGHPUT.local.startupSeconds + flops / THROUGHPUT.local.flopsPerSecond),
    );
    expect(e.duration_explanation).toMatch(
      /active parameters per token \(top-k of the experts; 13\.9M in all\)/,
    );
    // auto batch size plans memory for every expert's weights, gradients and Adam moments
    const auto = estimateFromPlan(plan('local', moe, { batch_size: 'auto' }));
    expect(auto.hyperparameter_explanations.batch_size).toMatch(/13\.9M parameters × 16 bytes/);
  });

  it('expects a GPU to be much faster than the local CPU', () => {
    expect(estimateFromPlan(plan('batch')).estimated_duration_seconds).toBeLessThan(
      estimateFromPlan(plan('local')).estimated_duration_seconds / 50,
    );
  });
});
