import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createModel,
  parseModelConfig,
  type DecoderModel,
  type ForwardOptions,
  type ModelConfig,
} from '../../../../runner/model';
import { gatherRows } from '../../../../runner/model/layers';

const gpt2 = (over: Record<string, unknown> = {}) =>
  parseModelConfig({
    model_type: 'gpt2',
    vocab_size: 40,
    n_positions: 16,
    n_embd: 32,
    n_layer: 2,
    n_head: 4,
    ...over,
  });
const llama = (over: Record<string, unknown> = {}) =>
  parseModelConfig({
    model_type: 'llama',
    vocab_size: 40,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 16,
    ...over,
  });

const ids = (rows: number[][]) => tf.tensor2d(rows, undefined, 'int32');
const values = (t: tf.Tensor) => Array.from(t.dataSync());

function maxRelErr(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(
    () => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(tf.max(tf.abs(b)).dataSync()[0], 1e-30),
  );
}

/** Loss and gradients of every weight for a mean-square of the logits (any scalar works). */
function lossAndGrads(model: DecoderModel, input: tf.Tensor2D, opts: ForwardOptions) {
  return tf.variableGrads(
    () => tf.mean(tf.square(model.logits(input, opts))) as tf.Scalar,
    [...model.weights.values()],
  );
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('parseModelConfig', () => {
  it('accepts HF config.json objects and keeps fields it does not know', () => {
    const c = parseModelConfig({
      model_type: 'gpt2',
      vocab_size: 10,
      n_positions: 8,
      n_embd: 8,
      n_layer: 1,
      n_head: 2,
      torch_dtype: 'float32',
    });
    expect(c.model_type).toBe('gpt2');
    expect((c as Record<string, unknown>).torch_dtype).toBe('float32');
    expect(c.model_type === 'gpt2' && c.layer_norm_epsilon).toBe(1e-5);
  });

  it('names the field and the rule when a config is invalid', () => {
    expect(() => gpt2({ n_head: undefined })).toThrow(/n_head/);
    expect(() => gpt2({ n_head: 5 })).toThrow(/n_embd \(32\) must be divisible by n_head/);
    expect(() => llama({ num_key_value_heads: 3 })).toThrow(/num_key_value_heads/);
    expect(() => parseModelConfig({ model_type: 'bert' })).toThrow(/model_type must be "gpt2" or "llama"/);
    expect(() => llama({ attention_bias: true })).toThrow(/attention_bias/);
  });

  it('accepts a Llama 3.2 style config.json (llama3 rope scaling, EOS list, explicit head_dim, bf16 dtype)', () => {
    const c = parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      attention_bias: false,
      attention_dropout: 0.0,
      bos_token_id: 128000,
      eos_token_id: [128001, 128008, 128009],
      head_dim: 64,
      hidden_act: 'silu',
      hidden_size: 2048,
      initializer_range: 0.02,
      intermediate_size: 8192,
      max_position_embeddings: 131072,
      mlp_bias: false,
      model_type: 'llama',
      num_attention_heads: 32,
      num_hidden_layers: 16,
      num_key_value_heads: 8,
      pretraining_tp: 1,
      rms_norm_eps: 1e-5,
      rope_scaling: {
        factor: 32.0,
        high_freq_factor: 4.0,
        low_freq_factor: 1.0,
        original_max_position_embeddings: 8192,
        rope_type: 'llama3',
      },
      rope_theta: 500000.0,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      transformers_version: '4.45.0.dev0',
      use_cache: true,
      vocab_size: 128256,
    });
    expect(c.model_type === 'llama' && c.rope_scaling?.rope_type).toBe('llama3');
    expect((c as Record<string, unknown>).pretraining_tp).toBe(1);
    expect(() => parseModelConfig({ model_type: 'mistral', vocab_size: 10 })).toThrow(
      /model_type must be "gpt2" or "llama"/,
    );
  });

  it('reads num_labels from id2label only for sequence-classification architectures', () => {
    const id2label = { 0: 'neg', 1: 'pos', 2: 'neutral' };
    expect(gpt2({ id2label, architectures: ['GPT2ForSequenceClassification'] }).num_labels).toBe(3);
    expect(gpt2({ id2label, architectures: ['GPT2LMHeadModel'] }).num_labels).toBeUndefined();
  });
});

describe('createModel', () => {
  it('names GPT-2 weights as HF does, with Conv1D [in, out] shapes and a tied head', () => {
    const m = createModel(gpt2(), { seed: 1 });
    expect(m.weights.get('transformer.h.1.attn.c_attn.weight')?.shape).toEqual([32, 96]);
    expect(m.weights.get('transformer.h.0.mlp.c_fc.weight')?.shape).toEqual([32, 128]);
    expect(m.weights.get('transformer.wpe.weight')?.shape).toEqual([16, 32]);
    expect(m.weights.has('lm_head.weight')).toBe(false);
    expect(m.weights.size).toBe(2 + 2 * 12 + 2);
    m.dispose();
  });

  it('names Llama weights as HF does, with [out, in] shapes, GQA-sized k/v and an untied head', () => {
    const m = createModel(llama(), { seed: 1 });
    expect(m.weights.get('model.layers.1.self_attn.q_proj.weight')?.shape).toEqual([32, 32]);
    expect(m.weights.get('model.layers.1.self_attn.k_proj.weight')?.shape).toEqual([16, 32]);
    expect(m.weights.get('model.layers.0.mlp.down_proj.weight')?.shape).toEqual([32, 48]);
    expect(m.weights.get('lm_head.weight')?.shape).toEqual([40, 32]);
    m.dispose();
    const tied = createModel(llama({ tie_word_embeddings: true }), { seed: 1 });
    expect(tied.weights.has('lm_head.weight')).toBe(false);
    tied.dispose();
  });

  it('initialises deterministically from the seed (HF style: normal 0.02, norms at one)', () => {
    const a = createModel(llama(), { seed: 7 });
    const b = createModel(llama(), { seed: 7 });
    const c = createModel(llama(), { seed: 8 });
    const q = 'model.layers.0.self_attn.q_proj.weight';
    expect(values(a.weights.get(q)!)).toEqual(values(b.weights.get(q)!));
    expect(values(a.weights.get(q)!)).not.toEqual(values(c.weights.get(q)!));
    const std = tf.moments(a.weights.get('model.embed_tokens.weight')!).variance.sqrt().dataSync()[0];
    expect(std).toBeGreaterThan(0.017);
    expect(std).toBeLessThan(0.023);
    expect(new Set(values(a.weights.get('model.norm.weight')!))).toEqual(new Set([1]));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('loads pretrained weights with or without the "transformer." prefix and reports a fresh score head', () => {
    const src = createModel(gpt2(), { seed: 3 });
    const bare = new Map(
      [...src.weights].map(([n, v]) => [
        n.replace(/^transformer\./, ''),
        { shape: v.shape, data: v.dataSync() as Float32Array },
      ]),
    );
    bare.set('h.0.attn.bias', { shape: [1], data: new Float32Array(1) }); // buffer in old HF files, ignored
    const loaded = createModel(gpt2({ num_labels: 3 }), { seed: 9, weights: bare });
    expect(values(loaded.weights.get('transformer.h.1.mlp.c_proj.weight')!)).toEqual(
      values(src.weights.get('transformer.h.1.mlp.c_proj.weight')!),
    );
    expect(loaded.initialized).toEqual(['score.weight']);
    bare.delete('wte.weight');
    expect(() => createModel(gpt2(), { seed: 1, weights: bare })).toThrow(
      /Missing weights: transformer.wte.weight/,
    );
    bare.set('wte.weight', { shape: [41, 32], data: new Float32Array(41 * 32) });
    expect(() => createModel(gpt2(), { seed: 1, weights: bare })).toThrow(/"wte.weight" has shape \[41,32\]/);
    src.dispose();
    loaded.dispose();
  });
});

describe.each([
  ['gpt2', gpt2()],
  ['llama', llama()],
  [
    'gpt2 with linear attention and RoPE',
    gpt2({ attention_type: 'linear', position_embedding_type: 'rope' }),
  ],
  ['llama with a sliding window and ALiBi', llama({ sliding_window: 3, position_embedding_type: 'alibi' })],
  ['llama with learned absolute positions', llama({ position_embedding_type: 'absolute' })],
] as [string, ModelConfig][])('%s forward pass', (_name, config) => {
  it('maps ids [batch, seq] to logits [batch, seq, vocab] and never looks ahead', () => {
    const m = createModel(config, { seed: 2 });
    const a = m.logits(ids([[1, 2, 3, 4, 5]]));
    const b = m.logits(ids([[1, 2, 3, 9, 9]]));
    expect(a.shape).toEqual([1, 5, 40]);
    expect(maxRelErr(a.slice([0, 0, 0], [1, 3, 40]), b.slice([0, 0, 0], [1, 3, 40]))).toBe(0);
    expect(maxRelErr(a.slice([0, 3, 0], [1, 1, 40]), b.slice([0, 3, 0], [1, 1, 40]))).toBeGreaterThan(1e-4);
    tf.dispose([a, b]);
    m.dispose();
  });

  it('rejects sequences longer than the context', () => {
    const m = createModel(config, { seed: 2 });
    expect(() => m.logits(ids([Array.from({ length: 17 }, () => 1)]))).toThrow(
      /exceeds the model context 16/,
    );
    m.dispose();
  });

  it('classifies from the last real token, ignoring right padding', () => {
    const m = createModel({ ...config, num_labels: 3 }, { seed: 2 });
    const padded = m.classify(
      ids([
        [5, 6, 7, 0, 0],
        [5, 6, 7, 8, 9],
      ]),
      tf.tensor1d([2, 4], 'int32'),
    );
    const alone = m.classify(ids([[5, 6, 7]]), tf.tensor1d([2], 'int32'));
    expect(padded.shape).toEqual([2, 3]);
    expect(maxRelErr(padded.slice([0, 0], [1, 3]), alone)).toBeLessThan(1e-5);
    expect(maxRelErr(padded.slice([1, 0], [1, 3]), alone)).toBeGreaterThan(1e-4);
    tf.dispose([padded, alone]);
    m.dispose();
  });

  it('applies dropout only in training, with masks fixed by the seed', () => {
    const m = createModel(config, { seed: 2 });
    const x = ids([[1, 2, 3, 4, 5, 6]]);
    const run = (opts: ForwardOptions) => m.logits(x, opts);
    const [plain, evalMode, s1, s1again, s2] = [
      run({}),
      run({ dropout: 0.3, seed: 1 }),
      run({ training: true, dropout: 0.3, seed: 1 }),
      run({ training: true, dropout: 0.3, seed: 1 }),
      run({ training: true, dropout: 0.3, seed: 2 }),
    ];
    expect(maxRelErr(evalMode, plain)).toBe(0);
    expect(maxRelErr(s1, s1again)).toBe(0);
    expect(maxRelErr(s1, plain)).toBeGreaterThan(1e-3);
    expect(maxRelErr(s1, s2)).toBeGreaterThan(1e-3);
    tf.dispose([plain, evalMode, s1, s1again, s2]);
    m.dispose();
  });

  it('gives the same gradients with gradient checkpointing, dropout included', () => {
    const m = createModel(config, { seed: 4 });
    const x = ids([
      [1, 2, 3, 4, 5, 6, 7, 8],
      [8, 7, 6, 5, 4, 3, 2, 1],
    ]);
    const opts = { training: true, dropout: 0.2, seed: 11 };
    const plain = lossAndGrads(m, x, opts);
    const ck = lossAndGrads(m, x, { ...opts, checkpointing: true });
    expect(Object.keys(ck.grads).length).toBe(m.weights.size);
    for (const [name, g] of Object.entries(plain.grads)) {
      expect(maxRelErr(ck.grads[name], g), name).toBeLessThanOrEqual(1e-5);
    }
    tf.dispose([plain.value, ck.value, ...Object.values(plain.grads), ...Object.values(ck.grads)]);
    m.dispose();
  });

  it('leaks no tensors across repeated forward/backward passes', () => {
    const m = createModel({ ...config, num_labels: 2 }, { seed: 4 });
    const x = ids([[1, 2, 3, 4]]);
    const step = (checkpointing: boolean) => {
      const r = tf.variableGrads(
        () =>
          tf.add(
            tf.mean(m.logits(x, { training: true, seed: 1, checkpointing })),
            tf.mean(m.classify(x, tf.tensor1d([3], 'int32'), { checkpointing })),
          ) as tf.Scalar,
        [...m.weights.values()],
      );
      tf.dispose([r.value, ...Object.values(r.grads)]);
    };
    step(false);
    step(true);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      step(i % 2 === 0);
    }
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});

describe('gatherRows (embedding lookup)', () => {
  it('has the value and gradient of tf.gather, summing rows picked more than once', () => {
    const table = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const idx = tf.tensor1d([2, 0, 2, 2], 'int32');
    const weightsOf = (rows: tf.Tensor) =>
      tf.mul(
        rows,
        tf.tensor2d([
          [1, 10],
          [2, 20],
          [3, 30],
          [4, 40],
        ]),
      );
    const ours = tf.grad((t: tf.Tensor) => tf.sum(weightsOf(gatherRows(t as tf.Tensor2D, idx))))(table);
    const ref = tf.grad((t: tf.Tensor) => tf.sum(weightsOf(tf.gather(t, idx))))(table);
    expect(values(gatherRows(table, idx))).toEqual(values(tf.gather(table, idx)));
    expect(values(ours)).toEqual([2, 20, 0, 0, 8, 80]);
    expect(values(ours)).toEqual(values(ref));
  });
});

describe('gradient checkpointing memory', () => {
  it('lowers peak memory of a backward pass through several layers', async () => {
    const m = createModel(gpt2({ n_layer: 6, n_embd: 64, n_positions: 64 }), { seed: 5 });
    const x = tf.tidy(() => tf.randomUniform([4, 64], 0, 40, 'int32', 1)) as tf.Tensor2D;
    const peak = async (checkpointing: boolean) => {
      const info = await tf.profile(() => {
        const r = lossAndGrads(m, x, { checkpointing });
        tf.dispose([r.value, ...Object.values(r.grads)]);
      });
      return info.peakBytes - info.newBytes;
    };
    const plain = await peak(false);
    const ck = await peak(true);
    expect(ck).toBeLessThan(plain * 0.6);
    m.dispose();
  });
});
