/**
 * The memory-efficient exact attention kernel (runner/native/src/attention_tiled.c) against the
 * plain paths it stands in for, forward and every gradient, at sequence lengths on, below and
 * between its tile sizes (64 queries × 128 keys): full causal attention against the plain fused
 * kernel (which saves the probabilities), a sliding window and ALiBi against the composed tfjs ops
 * under the additive bias (pure-JS backend, native kernels unregistered); then whole models with
 * the kernel forced on against the same models with it off.
 *
 * Tolerance: normwise, max |tiled − plain| / max |plain| ≤ 1e-5 for the kernel. Both sides compute
 * in float32 with different summation orders (the online softmax rescales partial sums), so
 * agreement is a few ulps of the largest entry, not bitwise.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alibiSlopes, attentionBias } from '../../../../runner/model/architecture';
import { causalAttention, causalMaskBias, splitHeads } from '../../../../runner/model/layers';
import { createModel, parseModelConfig } from '../../../../runner/model';
import { causalSelfAttention, FUSED, hasKernel } from '../../../../runner/model/ops';
import {
  setExactAttentionKernel,
  tiledAttentionChosen,
  tiledSelfAttention,
} from '../../../../runner/model/ops/attention';
import { loadAddon, registerNativeKernels, unregisterNativeKernels } from '../../../../runner/native';

const TOLERANCE = 1e-5;

function rand(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.mul(tf.randomUniform(shape, -1, 1, 'float32', seed), scale);
}

/** f(x) and d/dx sum(f(x) · r) for a fixed random r, as arrays. */
function valueAndGradient(x: tf.Tensor, f: (x: tf.Tensor) => tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const y = f(x);
    const r = rand(y.shape, 99);
    const [g] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))([x]);
    return [y, g].map((t) => t.dataSync().slice() as Float32Array);
  });
}

function normwise(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0,
    m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m === 0 ? d : d / m;
}

function expectEqual(tiled: Float32Array[], plain: Float32Array[], tolerance = TOLERANCE) {
  expect(tiled.length).toBe(plain.length);
  plain.forEach((p, i) => {
    expect(tiled[i].length).toBe(p.length);
    expect(normwise(tiled[i], p), i === 0 ? 'output' : 'gradient of qkv').toBeLessThanOrEqual(tolerance);
  });
}

/** Composed attention under the model's additive bias, from packed qkv. */
function composed(
  qkv: tf.Tensor,
  s: { batch: number; seq: number; nHead: number; nKvHead: number; headDim: number },
  bias: tf.Tensor,
) {
  const { batch: B, seq: T, nHead, nKvHead, headDim: hd } = s;
  const [q, k, v] = tf.split(qkv, [nHead * hd, nKvHead * hd, nKvHead * hd], 2);
  return causalAttention(
    [splitHeads(q, B, T, nHead, hd)],
    [splitHeads(k, B, T, nKvHead, hd)],
    splitHeads(v, B, T, nKvHead, hd),
    bias,
    s,
    (p) => p,
  );
}

describe.runIf(loadAddon().ok)('memory-efficient exact attention', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerNativeKernels({ log: () => {} });
  });
  afterEach(() => setExactAttentionKernel('auto'));
  afterAll(() => unregisterNativeKernels());

  it.each([
    [1, 4, 4],
    [37, 4, 4],
    [64, 4, 2],
    [70, 4, 4],
    [128, 4, 1],
    [129, 4, 2],
    [200, 6, 3],
    [300, 4, 4],
  ])(
    'full causal over %i positions (%i query heads, %i kv heads) equals the plain kernel',
    (T, nHead, nKvHead) => {
      const B = 2,
        hd = 16;
      const s = { batch: B, seq: T, nHead, nKvHead, headDim: hd };
      const x = rand([B, T, (nHead + 2 * nKvHead) * hd], T, 3);
      const run = (kernel: 'plain' | 'tiled') => {
        setExactAttentionKernel(kernel);
        return valueAndGradient(x, (qkv) =>
          causalSelfAttention(qkv as tf.Tensor3D, s, {
            mask: causalMaskBias(T),
            dropoutRate: 0,
            dropProbs: (p) => p,
          }),
        );
      };
      expectEqual(run('tiled'), run('plain'));
      x.dispose();
    },
  );

  it.each([
    ['a window of 1', 150, 1, false],
    ['a window of 50', 150, 50, false],
    ['a window of 200 (wider than a key tile)', 333, 200, false],
    ['ALiBi', 150, 0, true],
    ['ALiBi in a window of 70', 260, 70, true],
  ])('%s over %i positions equals the composed ops under the additive bias', (_, T, window, alibi) => {
    const B = 2,
      nHead = 4,
      nKvHead = 2,
      hd = 8;
    const s = { batch: B, seq: T, nHead, nKvHead, headDim: hd };
    const arch = {
      attention: window ? ('sliding_window' as const) : ('full' as const),
      window: window || undefined,
      position: alibi ? ('alibi' as const) : ('none' as const),
    };
    const x = rand([B, T, (nHead + 2 * nKvHead) * hd], 7 + T, 3);
    const tiled = valueAndGradient(x, (qkv) =>
      tiledSelfAttention(qkv as tf.Tensor3D, s, {
        window,
        slopes: alibi ? Array.from(alibiSlopes(nHead)) : [],
      }),
    );
    unregisterNativeKernels();
    const bias = attentionBias(arch, T, nHead);
    const plain = valueAndGradient(x, (qkv) => composed(qkv, s, bias));
    registerNativeKernels({ log: () => {} });
    expectEqual(tiled, plain);
    tf.dispose([x, bias]);
  });

  it('is chosen automatically past 2,048 positions or 256 MiB of probabilities in a layer', () => {
    expect(tiledAttentionChosen(8, 512, 12)).toBe(false); // 96 MiB
    expect(tiledAttentionChosen(1, 2048, 4)).toBe(false);
    expect(tiledAttentionChosen(1, 2049, 1)).toBe(true);
    expect(tiledAttentionChosen(8, 1024, 12)).toBe(true); // 384 MiB
    setExactAttentionKernel('plain');
    expect(tiledAttentionChosen(1, 4096, 4)).toBe(false);
  });

  const models: [string, Record<string, unknown>, 'forced' | 'variant'][] = [
    ['GPT-2', { model_type: 'gpt2', n_embd: 32, n_layer: 2, n_head: 4, n_positions: 160 }, 'forced'],
    [
      'Llama with grouped-query attention',
      {
        model_type: 'llama',
        hidden_size: 32,
        intermediate_size: 64,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        max_position_embeddings: 160,
      },
      'forced',
    ],
    [
      'GPT-2 with a sliding window and ALiBi',
      {
        model_type: 'gpt2',
        n_embd: 32,
        n_layer: 2,
        n_head: 4,
        n_positions: 160,
        sliding_window: 40,
        position_embedding_type: 'alibi',
      },
      'variant',
    ],
    [
      'Llama with a sliding window and RoPE',
      {
        model_type: 'llama',
        hidden_size: 32,
        intermediate_size: 64,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        max_position_embeddings: 160,
        sliding_window: 40,
      },
      'variant',
    ],
  ];
  it.each(models)(
    '%s: the logits and every weight gradient of a step equal the plain path',
    (_, config, mode) => {
      expect(hasKernel(FUSED.TiledAttention)).toBe(true);
      const [B, T] = [2, 150];
      const run = () => {
        const model = createModel(
          parseModelConfig({ ...config, vocab_size: 50, attn_pdrop: 0, embd_pdrop: 0, resid_pdrop: 0 }),
          { seed: 3 },
        );
        const out = tf.tidy(() => {
          const ids = tf.tensor2d(
            Int32Array.from({ length: B * T }, (_, i) => (i * 7 + 3) % 50),
            [B, T],
            'int32',
          );
          const r = rand([B, T, 50], 5);
          const vars = [...model.weights.values()];
          let logits: Float32Array = new Float32Array();
          const { grads } = tf.variableGrads(() => {
            const y = model.logits(ids, { training: true });
            logits = y.dataSync().slice() as Float32Array;
            return tf.sum(tf.mul(y, r)) as tf.Scalar;
          }, vars);
          return [logits, ...vars.map((v) => grads[v.name].dataSync().slice() as Float32Array)];
        });
        model.dispose();
        return out;
      };
      let tiled: Float32Array[], plain: Float32Array[];
      if (mode === 'forced') {
        setExactAttentionKernel('tiled');
        tiled = run();
        setExactAttentionKernel('plain');
        plain = run();
      } else {
        tiled = run();
        unregisterNativeKernels();
        plain = run();
        registerNativeKernels({ log: () => {} });
      }
      expectEqual(tiled, plain);
    },
  );
});
