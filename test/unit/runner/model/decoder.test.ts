/**
 * Incremental decoding (runner/model/decoder.ts) against the training forward on the same weights:
 * a prompt prefilled in one call, then one token per step, gives at every position the logits the
 * full forward gives for the whole prefix. Both paths: the native cached-attention kernel (cache
 * filled in place) and the composed tfjs ops (cache grown by concatenation).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecoder, createModel, parseModelConfig, type DecoderModel } from '../../../../runner/model';
import { FUSED, hasKernel } from '../../../../runner/model/ops';
import { loadAddon, registerNativeKernels, unregisterNativeKernels } from '../../../../runner/native';

const CONFIGS = {
  'GPT-2': { model_type: 'gpt2', vocab_size: 40, n_positions: 24, n_embd: 32, n_layer: 2, n_head: 4 },
  'Llama (GQA 4/2, llama3 RoPE scaling)': {
    model_type: 'llama',
    vocab_size: 40,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 24,
    rope_scaling: { rope_type: 'llama3', factor: 8, original_max_position_embeddings: 8 },
  },
  'Llama (tied head, multi-query 4/1)': {
    model_type: 'llama',
    vocab_size: 40,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 1,
    num_attention_heads: 4,
    num_key_value_heads: 1,
    max_position_embeddings: 24,
    tie_word_embeddings: true,
  },
  'Llama mixture of experts (4 experts, top-2)': {
    model_type: 'llama',
    vocab_size: 40,
    hidden_size: 32,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    max_position_embeddings: 24,
    num_local_experts: 4,
    num_experts_per_tok: 2,
  },
};

const PROMPT = [
  [3, 17, 5, 9, 22, 1, 14],
  [11, 4, 27, 6, 0, 19, 25],
];
const NEXT = [
  [8, 30, 2, 13, 39, 7, 21, 12],
  [33, 10, 28, 36, 15, 1, 4, 38],
];

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Full forward over every prefix: logits at its last position, per row. */
function reference(model: DecoderModel, rows: number[][], upTo: number): Float32Array {
  return tf.tidy(() => {
    const logits = model.logits(
      tf.tensor2d(
        rows.map((r) => r.slice(0, upTo)),
        undefined,
        'int32',
      ),
    );
    return tf
      .squeeze(tf.slice(logits, [0, upTo - 1, 0], [rows.length, 1, -1]), [1])
      .dataSync() as Float32Array;
  });
}

function checkIncremental(name: keyof typeof CONFIGS, expectInPlace: boolean) {
  const model = createModel(parseModelConfig(CONFIGS[name]), { seed: 7 });
  const decoder = createDecoder(model);
  const full = PROMPT.map((p, r) => [...p, ...NEXT[r]]);
  const cache = decoder.createCache(2, full[0].length);
  expect(cache.inPlace).toBe(expectInPlace);
  try {
    const first = decoder.step(tf.tensor2d(PROMPT, undefined, 'int32'), cache);
    expect(
      maxAbsDiff(first.dataSync() as Float32Array, reference(model, full, PROMPT[0].length)),
    ).toBeLessThan(1e-5);
    first.dispose();
    for (let i = 0; i < NEXT[0].length; i++) {
      const logits = decoder.step(
        tf.tensor2d(
          NEXT.map((n) => [n[i]]),
          undefined,
          'int32',
        ),
        cache,
      );
      const upTo = PROMPT[0].length + i + 1;
      expect(cache.length).toBe(upTo);
      expect(maxAbsDiff(logits.dataSync() as Float32Array, reference(model, full, upTo))).toBeLessThan(1e-5);
      logits.dispose();
    }
    expect(() => decoder.step(tf.tensor2d([[1], [2]], undefined, 'int32'), cache)).toThrow(/capacity/);
  } finally {
    cache.dispose();
    decoder.dispose();
    model.dispose();
  }
}

describe('incremental decoding on composed tfjs ops', () => {
  beforeAll(async () => {
    unregisterNativeKernels();
    await tf.setBackend('cpu');
  });
  for (const name of Object.keys(CONFIGS) as (keyof typeof CONFIGS)[]) {
    it(`${name}: prefill then single steps match the full forward at every position`, () =>
      checkIncremental(name, false));
  }
});

describe.skipIf(!loadAddon().ok)('incremental decoding on the native cached-attention kernel', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerNativeKernels({ log: () => {} });
    expect(hasKernel(FUSED.CachedAttention)).toBe(true);
  });
  afterAll(() => unregisterNativeKernels());
  for (const name of Object.keys(CONFIGS) as (keyof typeof CONFIGS)[]) {
    it(`${name}: prefill then single steps match the full forward at every position`, () =>
      checkIncremental(name, true));
  }

  it('n rows copied from one prefilled row continue exactly like that row', () => {
    const model = createModel(parseModelConfig(CONFIGS['Llama (GQA 4/2, llama3 RoPE scaling)']), { seed: 3 });
    const decoder = createDecoder(model);
    const one = decoder.createCache(1, 12);
    decoder.step(tf.tensor2d([PROMPT[0]], undefined, 'int32'), one).dispose();
    const three = one.repeat(3);
    const a = decoder.step(tf.tensor2d([[5]], undefined, 'int32'), one);
    const b = decoder.step(tf.tensor2d([[5], [5], [5]], undefined, 'int32'), three);
    const av = a.dataSync() as Float32Array;
    const bv = b.dataSync() as Float32Array;
    for (let r = 0; r < 3; r++) expect(maxAbsDiff(bv.subarray(r * 40, (r + 1) * 40), av)).toBe(0);
    for (const t of [a, b]) t.dispose();
    one.dispose();
    three.dispose();
    decoder.dispose();
    model.dispose();
  });
});
