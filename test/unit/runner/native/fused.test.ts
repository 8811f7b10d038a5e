/**
 * The fused sub-layer kernels (runner/model/ops on runner/native) against the composed tfjs ops they
 * replace, forward and backward, on the same inputs in one process: the composed path runs on the
 * pure-JS cpu backend (native kernels unregistered), the fused one with the addon registered.
 *
 * Tolerance: normwise, max |fused − composed| / max |composed| ≤ 2e-5. Both compute in float32 with
 * different summation orders (GEMMs, row reductions) and the fused kernels use float exp/tanh
 * (about 1e-7 absolute), so agreement is a few float32 ulps of the largest entry, not bitwise.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  causalSelfAttention,
  dense,
  embedTokens,
  FUSED,
  hasKernel,
  layerNorm,
  rmsNorm,
  softmaxCrossEntropy,
  swiGlu,
  type Activation,
} from '../../../../runner/model/ops';
import { causalMaskBias } from '../../../../runner/model/layers';
import { createModel, parseModelConfig } from '../../../../runner/model';
import { clipCoefficient, createOptimizer, globalNorm, type OptimizerKind } from '../../../../runner/optim';
import { lossSum } from '../../../../runner/train/loss';
import {
  loadAddon,
  registerNativeKernels,
  setNativeThreads,
  unregisterNativeKernels,
} from '../../../../runner/native';

const TOLERANCE = 2e-5;

function rand(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.mul(tf.randomUniform(shape, -1, 1, 'float32', seed), scale);
}

/**
 * Values of f(inputs) and the gradients of sum(f(inputs) · r) for a fixed random r with respect to
 * every float input, composed then fused. Inputs are made fresh for each run from `make`.
 */
function compare(make: () => tf.Tensor[], f: (...xs: tf.Tensor[]) => tf.Tensor, differentiate = true) {
  const run = () =>
    tf.tidy(() => {
      const xs = make();
      const y = f(...xs);
      const r = rand(y.shape, 99);
      const floats = xs.map((x, i) => [x, i] as const).filter(([x]) => x.dtype === 'float32');
      const grads = differentiate
        ? tf.grads((...ys: tf.Tensor[]) => {
            const all = xs.slice();
            floats.forEach(([, i], k) => (all[i] = ys[k]));
            return tf.sum(tf.mul(f(...all), r));
          })(floats.map(([x]) => x))
        : [];
      return [y, ...grads].map((t) => t.dataSync().slice() as Float32Array);
    });
  unregisterNativeKernels();
  const composed = run();
  registerNativeKernels({ log: () => {} });
  const fused = run();
  return { composed, fused };
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

function expectClose({ composed, fused }: { composed: Float32Array[]; fused: Float32Array[] }) {
  expect(fused.length).toBe(composed.length);
  composed.forEach((c, i) => {
    expect(fused[i].length, `output ${i} size`).toBe(c.length);
    expect(normwise(fused[i], c), `output ${i} (0 = value, then gradients)`).toBeLessThanOrEqual(TOLERANCE);
  });
}

describe.runIf(loadAddon().ok)('fused kernels vs the composed ops they replace', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => unregisterNativeKernels());

  it('are registered on the cpu backend with the native kernels, and only then', () => {
    unregisterNativeKernels();
    expect(hasKernel(FUSED.Dense)).toBe(false);
    registerNativeKernels({ log: () => {} });
    for (const name of Object.values(FUSED)) expect(hasKernel(name), name).toBe(true);
  });

  it('layer norm: value and gradients of x, gamma, beta', () => {
    const r = compare(
      () => [rand([3, 70, 48], 1, 3), rand([48], 2), rand([48], 3)],
      (x, g, b) => layerNorm(x, g, b, 1e-5),
    );
    expectClose(r);
  });

  it('RMSNorm: value and gradients of x and weight', () => {
    expectClose(
      compare(
        () => [rand([2, 33, 40], 4, 2), rand([40], 5)],
        (x, w) => rmsNorm(x, w, 1e-6),
      ),
    );
  });

  const variants: [string, Activation, boolean, boolean, boolean][] = [
    ['linear, bias, residual', 'linear', false, true, true],
    ['gelu_tanh, bias', 'gelu_tanh', false, true, false],
    ['gelu_erf, bias, residual', 'gelu_erf', false, true, true],
    ['relu, no bias', 'relu', false, false, false],
    ['silu, transposed weight, residual', 'silu', true, false, true],
    ['linear, transposed weight', 'linear', true, false, false],
  ];
  it.each(variants)('dense (%s): value and every gradient', (_, activation, transposeW, bias, residual) => {
    // 200 x 96 x 300: large enough that the GEMMs are split across the pool
    const r = compare(
      () => [
        rand([2, 100, 96], 6),
        rand(transposeW ? [300, 96] : [96, 300], 7, 0.3),
        ...(bias ? [rand([300], 8)] : []),
        ...(residual ? [rand([2, 100, 300], 9)] : []),
      ],
      (x, w, ...rest) =>
        dense(x, w, transposeW, bias ? rest[0] : undefined, {
          activation,
          residual: residual ? rest[bias ? 1 : 0] : undefined,
        }),
    );
    expectClose(r);
  });

  it.each([
    ['multi-head', 4, 4],
    ['grouped-query 4:2', 4, 2],
    ['multi-query 4:1', 4, 1],
  ])('causal attention (%s) over 70 positions: output and gradient of qkv', (_, nHead, nKvHead) => {
    const [B, T, hd] = [2, 70, 8];
    const shape = { batch: B, seq: T, nHead, nKvHead, headDim: hd };
    const r = compare(
      () => [rand([B, T, (nHead + 2 * nKvHead) * hd], 10, 2)],
      (qkv) =>
        causalSelfAttention(qkv as tf.Tensor3D, shape, {
          mask: causalMaskBias(T),
          dropoutRate: 0,
          dropProbs: (p) => p,
        }),
    );
    expectClose(r);
  });

  it('SwiGLU: value and gradients of gate and up', () => {
    expectClose(
      compare(
        () => [rand([3, 20, 56], 11, 4), rand([3, 20, 56], 12)],
        (g, u) => swiGlu(g, u),
      ),
    );
  });

  it('cross-entropy: loss, hits and the logits gradient, with padding weights and out-of-range targets', () => {
    const make = () => [
      rand([2, 9, 37], 13, 4),
      tf.tensor2d(
        Int32Array.from({ length: 18 }, (_, i) => (i === 4 ? -1 : i === 11 ? 37 : (i * 5) % 37)),
        [2, 9],
        'int32',
      ),
      tf.tensor2d(
        Float32Array.from({ length: 18 }, (_, i) => (i % 5 === 0 ? 0 : 1)),
        [2, 9],
      ),
    ];
    expectClose(compare(make, (l, t, m) => softmaxCrossEntropy(l, t, m).loss));
    const hits = compare(make, (l, t, m) => softmaxCrossEntropy(l, t, m).correct, false);
    expect(hits.fused[0][0]).toBe(hits.composed[0][0]);
  });

  it('embedding with and without positions: value and gradients of the tables (repeated ids)', () => {
    const ids = () =>
      tf.tensor2d(
        Int32Array.from({ length: 24 }, (_, i) => (i * 7) % 11),
        [3, 8],
        'int32',
      );
    expectClose(
      compare(
        () => [ids(), rand([11, 16], 14), rand([10, 16], 15)],
        (i, wte, wpe) => embedTokens(i as tf.Tensor2D, wte as tf.Tensor2D, wpe as tf.Tensor2D),
      ),
    );
    expectClose(
      compare(
        () => [ids(), rand([11, 16], 16)],
        (i, wte) => embedTokens(i as tf.Tensor2D, wte as tf.Tensor2D),
      ),
    );
  });

  it('embedding refuses a token id outside the vocabulary', () => {
    registerNativeKernels({ log: () => {} });
    const ids = tf.tensor2d([[1, 11]], [1, 2], 'int32');
    expect(() => embedTokens(ids, rand([11, 4], 17) as tf.Tensor2D)).toThrow(
      /token id 11 is not in \[0, 10\]/,
    );
  });

  it('gives the same bits on one thread as on two (reductions combine in a fixed order)', () => {
    registerNativeKernels({ log: () => {} });
    const once = () =>
      tf.tidy(() => {
        const x = rand([4, 64, 128], 18);
        const [dx, dg] = tf.grads((a: tf.Tensor, g: tf.Tensor) =>
          tf.sum(tf.mul(layerNorm(a, g, tf.zeros([128]), 1e-5), 3)),
        )([x, tf.ones([128])]);
        const { loss } = softmaxCrossEntropy(
          rand([256, 512], 19, 5),
          tf.range(0, 256, 1, 'int32'),
          tf.ones([256]),
        );
        return [dx, dg, loss].map((t) => Array.from(t.dataSync()));
      });
    setNativeThreads(1);
    const one = once();
    setNativeThreads(2);
    expect(once()).toEqual(one);
  });

  const MODELS: [string, Record<string, unknown>, boolean][] = [
    [
      'GPT-2 (tied, gelu_new)',
      { model_type: 'gpt2', n_positions: 16, n_embd: 32, n_layer: 2, n_head: 4 },
      false,
    ],
    [
      'GPT-2 (untied, exact gelu, checkpointing)',
      {
        model_type: 'gpt2',
        n_positions: 16,
        n_embd: 32,
        n_layer: 2,
        n_head: 4,
        activation_function: 'gelu',
        tie_word_embeddings: false,
      },
      true,
    ],
    [
      'Llama (GQA 4:2, RoPE, SwiGLU)',
      {
        model_type: 'llama',
        hidden_size: 32,
        intermediate_size: 56,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        max_position_embeddings: 16,
      },
      false,
    ],
    [
      'GPT-2 sequence classification',
      { model_type: 'gpt2', n_positions: 16, n_embd: 32, n_layer: 2, n_head: 4, num_labels: 3 },
      false,
    ],
  ];
  it.each(MODELS)(
    '%s: loss, hits and every weight gradient of a training step',
    (_, config, checkpointing) => {
      const [B, T] = [3, 11];
      const run = () => {
        const model = createModel(
          parseModelConfig({
            ...config,
            vocab_size: 41,
            initializer_range: 0.3,
            resid_pdrop: 0,
            embd_pdrop: 0,
            attn_pdrop: 0,
          }),
          { seed: 5 },
        );
        const out = tf.tidy(() => {
          const ids = tf.tensor2d(
            Int32Array.from({ length: B * T }, (_, i) => (i * 7 + 3) % 41),
            [B, T],
            'int32',
          );
          const batch = config.num_labels
            ? { ids, lastIndex: tf.tensor1d([10, 4, 7], 'int32'), labels: tf.tensor1d([2, 0, 1], 'int32') }
            : {
                ids,
                targets: tf.tensor2d(
                  Int32Array.from({ length: B * T }, (_, i) => (i * 5 + 1) % 41),
                  [B, T],
                  'int32',
                ),
                mask: tf.tensor2d(
                  Float32Array.from({ length: B * T }, (_, i) => (i % 4 === 3 ? 0 : 1)),
                  [B, T],
                ),
              };
          const vars = [...model.weights.values()];
          let correct = 0;
          const { value, grads } = tf.variableGrads(() => {
            const r = lossSum(model, batch, { training: true, checkpointing });
            correct = r.correct.dataSync()[0];
            return r.loss;
          }, vars);
          return [
            Float32Array.of(value.dataSync()[0], correct),
            ...vars.map((v) => grads[v.name].dataSync().slice() as Float32Array),
          ];
        });
        model.dispose();
        return out;
      };
      unregisterNativeKernels();
      const composed = run();
      registerNativeKernels({ log: () => {} });
      expectClose({ composed, fused: run() });
    },
  );

  it.each(['adamw', 'adam', 'sgd'] as OptimizerKind[])(
    '%s: one native call per step gives the per-tensor tf updates, clipping coefficient included',
    async (kind) => {
      const settings = { kind, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, momentum: 0.9, weightDecay: 0.1 };
      const train = async () => {
        const params = new Map([
          ['w', tf.variable(rand([40, 30], 20))],
          ['b', tf.variable(rand([30], 21))],
        ]);
        const before = params.get('w')!.clone();
        const opt = createOptimizer(settings);
        for (let step = 0; step < 4; step++) {
          const grads = new Map([...params].map(([k, p], i) => [k, rand(p.shape, 30 + step * 2 + i, 5)]));
          const scale = clipCoefficient(await globalNorm(grads.values()), 1.0);
          opt.apply(params, grads, 0.01, scale);
          tf.dispose([...grads.values()]);
        }
        const out = [...params.values(), before].map((p) => p.dataSync().slice() as Float32Array);
        tf.dispose([...params.values(), before]);
        opt.dispose();
        return out;
      };
      unregisterNativeKernels();
      const composed = await train();
      registerNativeKernels({ log: () => {} });
      const fused = await train();
      expectClose({ composed, fused });
      // a clone taken before training still holds the initial values (copy-on-write)
      expect(normwise(fused[2], fused[0])).toBeGreaterThan(1e-3);
    },
  );

  it('optimizer never writes into arrays a caller handed in', () => {
    registerNativeKernels({ log: () => {} });
    const host = Float32Array.from({ length: 12 }, (_, i) => i / 10);
    const copy = host.slice();
    const params = new Map([['w', tf.variable(tf.tensor(host, [3, 4]))]]);
    const opt = createOptimizer({
      kind: 'adamw',
      beta1: 0.9,
      beta2: 0.99,
      epsilon: 1e-8,
      momentum: 0,
      weightDecay: 0,
    });
    opt.apply(params, new Map([['w', tf.ones([3, 4])]]), 0.1);
    expect(host).toEqual(copy);
    expect(params.get('w')!.dataSync()[0]).toBeCloseTo(-0.1, 5);
    opt.dispose();
  });
});
