/**
 * Native kernels against the pure-JS tfjs cpu kernels they replace, on the same inputs in one process.
 *
 * Tolerances: elementwise ops, copies and reductions (summed in double, as tfjs does) must match to
 * 1e-6 relative per element: at most a couple of float32 ulps (exp/tanh are computed differently but
 * rounded from a double result). Matrix products accumulate k float32 products in another order than
 * tfjs's double loop; the float32 error bound is ~k·2^-24·Σ|a||b|, so they are compared normwise:
 * max |native − js| / max |js| ≤ 1e-5 (k ≤ 768 here, typical error ~1e-7).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  loadAddon,
  nativeStatus,
  registerNativeKernels,
  unregisterNativeKernels,
} from '../../../../runner/native';

const load = loadAddon();

function rand(shape: number[], seed: number, lo = -3, hi = 3): tf.Tensor {
  return tf.randomUniform(shape, lo, hi, 'float32', seed);
}

/** Runs `f` with the pure-JS kernels, then with the native ones; returns both results' values. */
function both(f: () => tf.Tensor | tf.Tensor[]): {
  js: Float32Array[] | Int32Array[];
  native: Float32Array[] | Int32Array[];
  shapes: number[][][];
} {
  const run = () =>
    tf.tidy(() => {
      const out = f();
      const list = Array.isArray(out) ? out : [out];
      return list.map((t) => ({ values: t.dataSync().slice() as Float32Array, shape: t.shape }));
    });
  unregisterNativeKernels();
  const js = run();
  registerNativeKernels({ log: () => {} });
  const native = run();
  return {
    js: js.map((r) => r.values),
    native: native.map((r) => r.values),
    shapes: [js.map((r) => r.shape), native.map((r) => r.shape)],
  };
}

function maxRelElementwise(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) {
      if (!(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return Infinity;
      continue;
    }
    const d = Math.abs(a[i] - b[i]);
    worst = Math.max(worst, d === 0 ? 0 : d / Math.max(Math.abs(b[i]), 1e-30));
  }
  return worst;
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

it('has the addon in CI (npm run build:native with apt libopenblas-dev)', () => {
  if (process.env.CI) expect(load).toMatchObject({ ok: true });
  else expect(typeof load.ok).toBe('boolean');
});

describe('without the addon', () => {
  it('keeps the pure-JS kernels, says why, and still computes', async () => {
    await tf.setBackend('cpu');
    unregisterNativeKernels();
    const logs: string[] = [];
    const status = registerNativeKernels({
      addonPath: '/nonexistent/tuneplane_native.node',
      log: (m) => logs.push(m),
    });
    expect(status.active).toBe(false);
    expect(status.reason).toMatch(/not built/);
    expect(logs.join('\n')).toMatch(/native kernels: off .*pure-JS/);
    const y = tf.matMul(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      tf.tensor2d([[5], [6]]),
    );
    expect(Array.from(y.dataSync())).toEqual([17, 39]);
  });
});

describe.runIf(load.ok)('native kernels vs pure-JS cpu kernels', () => {
  const addon = load.ok ? load.addon : undefined;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    unregisterNativeKernels();
  });
  afterAll(() => unregisterNativeKernels());

  it('registers on the cpu backend and logs what runs', () => {
    const logs: string[] = [];
    const status = registerNativeKernels({ log: (m) => logs.push(m) });
    expect(status.active).toBe(true);
    expect(status.kernels).toEqual(
      expect.arrayContaining(['BatchMatMul', '_FusedMatMul', 'UnsortedSegmentSum', 'GatherV2', 'Softmax']),
    );
    expect(status.blas).toMatch(/OpenBLAS/);
    expect(logs[0]).toMatch(/native kernels: on .*BatchMatMul/);
    expect(nativeStatus()).toBe(status);
  });

  const matmuls: [string, () => tf.Tensor][] = [
    ['2-D', () => tf.matMul(rand([64, 96], 1), rand([96, 40], 2))],
    ['transposeA', () => tf.matMul(rand([96, 64], 3), rand([96, 40], 4), true, false)],
    ['transposeB', () => tf.matMul(rand([64, 96], 5), rand([40, 96], 6), false, true)],
    ['both transposed', () => tf.matMul(rand([96, 64], 7), rand([40, 96], 8), true, true)],
    [
      'batched 4-D (attention)',
      () => tf.matMul(rand([2, 3, 16, 8], 9), rand([2, 3, 16, 8], 10), false, true),
    ],
    ['batch broadcast', () => tf.matMul(rand([5, 16, 8], 11), rand([8, 12], 12))],
    [
      'fused bias + relu',
      () =>
        tf.fused.matMul({
          a: rand([32, 24], 13),
          b: rand([24, 16], 14),
          bias: rand([16], 15),
          activation: 'relu',
        }),
    ],
    ['large k', () => tf.matMul(rand([32, 768], 16), rand([768, 16], 17))],
  ];
  it.each(matmuls)('BatchMatMul %s agrees normwise within 1e-5 and runs on OpenBLAS', (_, f) => {
    const spy = vi.spyOn(addon!, 'sgemm');
    const { js, native, shapes } = both(f);
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
    expect(shapes[1]).toEqual(shapes[0]);
    expect(normwise(native[0], js[0])).toBeLessThanOrEqual(1e-5);
  });

  const elementwise: [string, () => tf.Tensor | tf.Tensor[]][] = [
    ['add broadcast row', () => tf.add(rand([4, 8, 16], 1), rand([16], 2))],
    ['sub broadcast middle', () => tf.sub(rand([4, 1, 5], 3), rand([3, 1], 4))],
    ['mul by scalar', () => tf.mul(rand([1000], 5), tf.scalar(0.37))],
    ['div by column', () => tf.div(rand([6, 7], 6), rand([6, 1], 7, 0.5, 2))],
    ['maximum/minimum', () => [tf.maximum(rand([50], 8), rand([50], 9)), tf.minimum(rand([50], 8), 0.5)]],
    ['squared difference', () => tf.squaredDifference(rand([3, 9], 10), rand([3, 1], 11))],
    [
      'pow scalar and tensor',
      () => [tf.pow(rand([300], 12), 3), tf.pow(rand([300], 13, 0.1, 4), rand([300], 14))],
    ],
    [
      'exp/log/tanh/sigmoid',
      () => [
        tf.exp(rand([500], 15, -20, 20)),
        tf.log(rand([500], 16, 1e-3, 50)),
        tf.tanh(rand([500], 17, -12, 12)),
        tf.tanh(rand([50], 18, -1e-5, 1e-5)),
        tf.sigmoid(rand([500], 19, -30, 30)),
      ],
    ],
    [
      'sqrt/rsqrt/square/neg/abs/relu/reciprocal',
      () => {
        const x = rand([400], 20, 0.01, 9);
        const y = rand([400], 21);
        return [tf.sqrt(x), tf.rsqrt(x), tf.square(y), tf.neg(y), tf.abs(y), tf.relu(y), tf.reciprocal(x)];
      },
    ],
    [
      'softmax (with the causal -1e9 mask)',
      () =>
        tf.softmax(
          tf.add(
            rand([2, 3, 8, 8], 22, -10, 10),
            tf.linalg
              .bandPart(tf.fill([8, 8], -1e9), 0, -1)
              .sub(tf.linalg.bandPart(tf.fill([8, 8], -1e9), 0, 0)),
          ),
        ),
    ],
    [
      'sum/mean/max/min over inner, outer, middle and split axes',
      () => {
        const x = rand([3, 4, 5, 6], 23);
        return [
          tf.sum(x, -1),
          tf.sum(x, 0),
          tf.mean(x, [1, 2]),
          tf.max(x, 1, true),
          tf.min(x, [0, 2]),
          tf.sum(x, [0, 3]),
          tf.mean(x),
        ];
      },
    ],
    [
      'transpose',
      () => [
        tf.transpose(rand([2, 3, 4, 5], 24), [0, 2, 1, 3]),
        tf.transpose(rand([7, 9], 25)),
        tf.transpose(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')),
      ],
    ],
    [
      'slice / split / concat',
      () => {
        const x = rand([4, 6, 9], 26);
        return [
          tf.slice(x, [1, 2, 3], [2, 3, 4]),
          ...tf.split(x, 3, 2),
          ...tf.split(x, [1, 5], 1),
          tf.concat([x, rand([4, 6, 2], 27)], 2),
          tf.concat([x, x], 0),
        ];
      },
    ],
    [
      'gather rows and columns',
      () => [
        tf.gather(rand([10, 4], 28), tf.tensor1d([3, 0, 9, 3], 'int32')),
        tf.gather(
          rand([3, 10, 2], 29),
          tf.tensor2d(
            [
              [1, 2],
              [9, 0],
            ],
            [2, 2],
            'int32',
          ),
          1,
        ),
      ],
    ],
    [
      'large enough to split across threads: rows, one long row, transcendental',
      () => [
        tf.add(rand([1030, 1024], 33), rand([1024], 34)),
        tf.mul(rand([1100000], 35), rand([1100000], 36)),
        tf.exp(rand([3, 70001], 37)),
        tf.pow(rand([200003], 38), 3),
      ],
    ],
    [
      'unsorted segment sum (embedding gradient)',
      () =>
        tf.unsortedSegmentSum(
          rand([12, 5], 30),
          tf.tensor1d([2, 0, 2, 7, 1, 2, 0, 0, 7, 3, 3, 2], 'int32'),
          8,
        ),
    ],
  ];
  it.each(elementwise)('%s matches per element within 1e-6', (_, f) => {
    const { js, native, shapes } = both(f);
    expect(shapes[1]).toEqual(shapes[0]);
    js.forEach((v, i) => expect(maxRelElementwise(native[i], v)).toBeLessThanOrEqual(1e-6));
  });

  it('embedding gradient (gather → UnsortedSegmentSum) runs natively and matches', () => {
    const spy = vi.spyOn(addon!, 'scatterAddRows');
    const { js, native } = both(() => {
      const table = rand([50, 8], 31);
      const ids = tf.tensor1d([4, 4, 9, 0, 49, 4], 'int32');
      return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), rand([6, 8], 32))))(table);
    });
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
    expect(maxRelElementwise(native[0], js[0])).toBeLessThanOrEqual(1e-6);
  });

  it('rejects an out-of-range gather index as tfjs does', () => {
    registerNativeKernels({ log: () => {} });
    expect(() => tf.gather(tf.ones([3, 2]), tf.tensor1d([0, 3], 'int32'))).toThrow(
      /index value 3 is not in \[0, 2\]/,
    );
  });

  it('leaves int32 and bool work to the pure-JS kernels', () => {
    const { js, native } = both(() => [
      tf.add(tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3, 4], 'int32')),
      tf.sum(tf.tensor1d([5, 6], 'int32')),
    ]);
    expect(Array.from(native[0])).toEqual(Array.from(js[0]));
    expect(Array.from(native[1])).toEqual([11]);
  });
});
