/**
 * Mixtral's mixture-of-experts feed-forward (runner/model/moe.ts): its config keys and their rules,
 * the Hugging Face layout it saves and loads, the two routing paths agreeing, decoding, and the
 * load-balancing loss reaching the training metrics. Fidelity against PyTorch is in
 * test/compat/pytorch (MOE_CASES).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPretrained, savePretrained } from '../../../../runner/io';
import { createDecoder, createModel, parseModelConfig } from '../../../../runner/model';
import { moeFeedForward, moeOf } from '../../../../runner/model/moe';
import { unregisterNativeKernels } from '../../../../runner/native';
import { buildCharTokenizer } from '../../../../runner/tokenizer';
import { runSession } from '../../../../runner/train/session';
import type { MetricsReport } from '../../../../runner/train/sink';

const LLAMA = {
  model_type: 'llama',
  vocab_size: 20,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  max_position_embeddings: 16,
};
const MOE = { ...LLAMA, num_local_experts: 4, num_experts_per_tok: 2 };

function refusal(f: () => unknown): { param?: string; code?: string; message: string } | undefined {
  try {
    f();
  } catch (e) {
    return e as { param?: string; code?: string; message: string };
  }
  return undefined;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Mixtral keys in config.json', () => {
  it.each([
    [
      {
        model_type: 'gpt2',
        vocab_size: 20,
        n_positions: 16,
        n_embd: 16,
        n_layer: 2,
        n_head: 2,
        num_local_experts: 4,
      },
      'config.num_local_experts',
      /llama family only/,
    ],
    [{ ...LLAMA, num_experts_per_tok: 2 }, 'config.num_experts_per_tok', /set num_local_experts/],
    [{ ...LLAMA, router_aux_loss_coef: 0.1 }, 'config.router_aux_loss_coef', /set num_local_experts/],
    [
      { ...MOE, num_experts_per_tok: 5 },
      'config.num_experts_per_tok',
      /must not exceed num_local_experts \(4\)/,
    ],
    [{ ...MOE, num_local_experts: 0 }, 'config.num_local_experts', /./],
    [{ ...MOE, router_aux_loss_coef: -1 }, 'config.router_aux_loss_coef', /./],
    [{ ...MOE, router_jitter_noise: 0.1 }, 'config.router_jitter_noise', /jitter/],
  ])('refuses %j naming the field and the rule', (config, param, message) => {
    const err = refusal(() => parseModelConfig(config));
    expect(err?.code).toBe('invalid_model_config');
    expect(err?.param).toBe(param);
    expect(err?.message).toMatch(message);
  });

  it('reads HF\'s defaults: top-2, aux weight 0.001, a "mixtral" config as a Llama body with 8 experts', () => {
    expect(moeOf(parseModelConfig({ ...LLAMA, num_local_experts: 3 }))).toEqual({
      experts: 3,
      topK: 2,
      auxCoef: 0.001,
      auxInLoss: true,
    });
    const mixtral = parseModelConfig({ ...LLAMA, model_type: 'mixtral', output_router_logits: false });
    expect(mixtral.model_type).toBe('llama');
    expect(moeOf(mixtral)).toMatchObject({ experts: 8, auxInLoss: false });
  });
});

describe('mixture-of-experts weights in the Hugging Face layout', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tuneplane-moe-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('saves Mixtral names and config, and loads them back into the same function', async () => {
    const model = createModel(parseModelConfig(MOE), { seed: 5 });
    const names = [...model.weights.keys()];
    expect(names).toContain('model.layers.1.block_sparse_moe.gate.weight');
    expect(names).toContain('model.layers.0.block_sparse_moe.experts.3.w2.weight');
    expect(names.some((n) => n.includes('mlp.'))).toBe(false);
    expect(model.weights.get('model.layers.0.block_sparse_moe.gate.weight')!.shape).toEqual([4, 16]);
    expect(model.weights.get('model.layers.0.block_sparse_moe.experts.0.w1.weight')!.shape).toEqual([24, 16]);
    expect(model.weights.get('model.layers.0.block_sparse_moe.experts.0.w2.weight')!.shape).toEqual([16, 24]);
    await savePretrained(dir, model, buildCharTokenizer('abcdefghij'));
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      model_type: 'mixtral',
      architectures: ['MixtralForCausalLM'],
      num_local_experts: 4,
      num_experts_per_tok: 2,
    });
    const { model: loaded } = await loadPretrained(dir, { seed: 1 });
    const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6]], undefined, 'int32');
    const a = model.logits(ids).dataSync();
    const b = loaded.logits(ids).dataSync();
    expect(Math.max(...a.map((x, i) => Math.abs(x - b[i])))).toBe(0);
    model.dispose();
    loaded.dispose();
  });
});

describe('routing paths', () => {
  it('each expert on its own tokens equals every expert on every token weighted by the router: values and every gradient', () => {
    const moe = { experts: 5, topK: 2, auxCoef: 0, auxInLoss: false };
    const H = 8;
    const F = 12;
    const x = tf.randomNormal([2, 7, H], 0, 1, 'float32', 1) as tf.Tensor3D;
    const ws = [tf.randomNormal([moe.experts, H], 0, 1, 'float32', 2)];
    for (let e = 0; e < moe.experts; e++)
      ws.push(
        tf.randomNormal([F, H], 0, 0.3, 'float32', 10 + e),
        tf.randomNormal([H, F], 0, 0.3, 'float32', 20 + e),
        tf.randomNormal([F, H], 0, 0.3, 'float32', 30 + e),
      );
    const probe = tf.randomNormal([2, 7, H], 0, 1, 'float32', 3);
    const run = (dense: boolean) =>
      tf.grads((input: tf.Tensor, ...w: tf.Tensor[]) =>
        tf.sum(tf.mul(moeFeedForward(input as tf.Tensor3D, w, moe, { dense }).out, probe)),
      )([x, ...ws]);
    const sparse = run(false);
    const dense = run(true);
    for (let i = 0; i < sparse.length; i++) {
      const s = sparse[i].dataSync();
      const d = dense[i].dataSync();
      const scale = Math.max(...d.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      expect(Math.max(...s.map((v, j) => Math.abs(v - d[j]))) / scale).toBeLessThan(1e-5);
    }
  });
});

describe('decoding a mixture of experts', () => {
  beforeAll(() => unregisterNativeKernels());

  it('greedy decoding through the KV cache picks the full forward’s argmax at every step', () => {
    const model = createModel(parseModelConfig({ ...MOE, initializer_range: 0.3 }), { seed: 11 });
    const decoder = createDecoder(model);
    const seq = [3, 7, 1];
    const cache = decoder.createCache(1, 14);
    let logits = decoder.step(tf.tensor2d([seq], undefined, 'int32'), cache);
    const picked = new Set<number>();
    while (seq.length < 14) {
      const next = tf.argMax(logits, 1).dataSync()[0];
      const full = model.logits(tf.tensor2d([seq], undefined, 'int32'));
      const expected = tf.argMax(tf.slice(full, [0, seq.length - 1, 0], [1, 1, -1]), 2).dataSync()[0];
      expect(next).toBe(expected);
      picked.add(next);
      seq.push(next);
      logits.dispose();
      if (seq.length < 14) logits = decoder.step(tf.tensor2d([[next]], undefined, 'int32'), cache);
    }
    expect(picked.size).toBeGreaterThan(1);
    cache.dispose();
    decoder.dispose();
    model.dispose();
  });
});

describe('training a mixture of experts', () => {
  const text = 'the cat sat on the mat. the dog sat on the log. '.repeat(12);
  const train = (config: Record<string, unknown>, hyperparameters: object = {}) => {
    const metrics: MetricsReport[] = [];
    return runSession({
      model: { config },
      train: text,
      hyperparameters: {
        n_epochs: 5,
        max_steps: 30,
        batch_size: 4,
        learning_rate: 1e-2,
        max_sequence_length: 16,
        metrics_interval_steps: 1,
        seed: 3,
        ...hyperparameters,
      },
      sink: { metrics: (m) => void metrics.push(m) },
    }).then((s) => ({ ...s, metrics }));
  };
  const CHAR = { ...MOE, vocab_size: 1, max_position_embeddings: 32 };

  it('reports train_aux_loss each step, and a large router_aux_loss_coef balances the routing', async () => {
    const free = await train({ ...CHAR, router_aux_loss_coef: 0 });
    const balanced = await train({ ...CHAR, router_aux_loss_coef: 1 });
    for (const run of [free, balanced]) {
      expect(run.metrics).toHaveLength(30);
      for (const m of run.metrics) {
        expect(m.train_aux_loss).toBeGreaterThan(0);
        expect(Number.isFinite(m.train_loss)).toBe(true);
      }
      run.model.dispose();
    }
    const tail = (ms: MetricsReport[]) => ms.slice(-10).reduce((s, m) => s + m.train_aux_loss!, 0) / 10;
    // Perfect balance gives k = 2; the router trained with the loss ends closer to it.
    expect(tail(balanced.metrics)).toBeLessThan(tail(free.metrics));
    expect(balanced.metrics.at(-1)!.train_loss).toBeLessThan(balanced.metrics[0].train_loss);
  }, 120_000);

  it('refuses gradient checkpointing by name', async () => {
    await expect(train(CHAR, { gradient_checkpointing: true, max_steps: 1 })).rejects.toMatchObject({
      param: 'hyperparameters.gradient_checkpointing',
    });
  });
});
