import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createModel, parseModelConfig, type HostTensor } from '../../../../runner/model';
import { toGroupedQuery } from '../../../../runner/model/gqa';

const MHA = parseModelConfig({
  model_type: 'llama',
  vocab_size: 24,
  hidden_size: 32,
  intermediate_size: 40,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  max_position_embeddings: 16,
  initializer_range: 0.3,
});

function hostWeights(seed: number): Map<string, HostTensor> {
  const model = createModel(MHA, { seed });
  const out = new Map<string, HostTensor>();
  for (const [name, v] of model.weights)
    out.set(name, { shape: v.shape, data: v.dataSync() as Float32Array });
  model.dispose();
  return out;
}

const ids = tf.tensor2d([[1, 5, 9, 2, 7, 3]], undefined, 'int32');

describe('converting a multi-head checkpoint to grouped-query attention', () => {
  it('with group size 1 the converted model computes exactly what the original did', () => {
    const weights = hostWeights(3);
    const original = createModel(MHA, { seed: 0, weights });
    const conv = toGroupedQuery(MHA, weights, 4);
    const same = createModel(conv.config, { seed: 0, weights: conv.weights });
    const a = original.logits(ids);
    const b = same.logits(ids);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([a, b]);
    original.dispose();
    same.dispose();
  });

  it('with groups, each key and value head is the mean of the heads it replaces, and the model trains on', () => {
    const weights = hostWeights(5);
    const conv = toGroupedQuery(MHA, weights, 1); // 4 heads → 1 (multi-query)
    expect(conv.config.num_key_value_heads).toBe(1);
    const hd = 8;
    for (const proj of ['k_proj', 'v_proj']) {
      const name = `model.layers.1.self_attn.${proj}.weight`;
      const before = weights.get(name)!;
      const after = conv.weights.get(name)!;
      expect(after.shape).toEqual([hd, 32]);
      for (const i of [0, 37, 255]) {
        const heads = [0, 1, 2, 3].map((h) => before.data[h * hd * 32 + i]);
        expect(after.data[i]).toBeCloseTo(heads.reduce((s, x) => s + x, 0) / 4, 6);
      }
    }
    // every other weight is carried over untouched
    expect(conv.weights.get('model.layers.0.self_attn.q_proj.weight')).toBe(
      weights.get('model.layers.0.self_attn.q_proj.weight'),
    );
    const gqa = createModel(conv.config, { seed: 0, weights: conv.weights });
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(gqa.logits(ids))) as tf.Scalar,
      [...gqa.weights.values()],
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Object.keys(grads)).toHaveLength(gqa.weights.size);
    tf.dispose([value, ...Object.values(grads)]);
    gqa.dispose();
  });

  it('refuses a head count that does not divide the current one, and GPT-2, naming why', () => {
    expect(() => toGroupedQuery(MHA, hostWeights(1), 3)).toThrow(/must divide the model's current 4/);
    const gpt2 = parseModelConfig({
      model_type: 'gpt2',
      vocab_size: 8,
      n_positions: 8,
      n_embd: 8,
      n_layer: 1,
      n_head: 2,
    });
    expect(() => toGroupedQuery(gpt2, new Map(), 1)).toThrow(/GPT-2 has none/);
  });
});
