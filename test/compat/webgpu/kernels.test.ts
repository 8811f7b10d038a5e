/**
 * What tfjs-backend-webgpu 4.22 got wrong for our trainer, one test per fix (runner/webgpu/kernels
 * and runner/webgpu/backend.ts), each checked against the CPU backend on the same inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import { afterEach, describe, expect, it } from 'vitest';
import { createModel, parseModelConfig } from '../../../runner/model';
import { lossSum } from '../../../runner/train/loss';
import { webGpuSession, WebGpuDeviceError } from '../../../runner/webgpu';
import { deviceErrors, useWebGpu } from './setup';

const webgpu = await useWebGpu('test/compat/webgpu kernels');

interface WebGpuBackendLike {
  numDataIds(): number;
  device: { limits: Record<string, number> };
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: tf.DataType): tf.TensorInfo;
}
const backend = () => tf.backend() as unknown as WebGpuBackendLike;

/** Runs `f` on the CPU backend and returns its values, leaving the WebGPU backend active. */
async function onCpu(f: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend('cpu');
  try {
    const t = f();
    const v = (await t.data()) as Float32Array;
    t.dispose();
    return v;
  } finally {
    await tf.setBackend('webgpu');
  }
}

function inputs(n: number): Float32Array[] {
  return Array.from({ length: n }, (_, i) =>
    Float32Array.from({ length: 257 }, (_, j) => 1 + 0.5 * Math.sin(i * 7 + j)),
  );
}

describe.skipIf(!webgpu)('WebGPU kernel fixes', () => {
  afterEach(() => expect(deviceErrors()).toEqual([]));

  it('AddN sums any number of inputs: past the storage-buffer limit tfjs’s kernel returned zeros', async () => {
    const limit = backend().device.limits.maxStorageBuffersPerShaderStage;
    for (const n of [2, limit - 1, limit, limit + 1, 40, 300]) {
      const data = inputs(n);
      const expected = await onCpu(() => tf.addN(data.map((d) => tf.tensor1d(d))));
      const xs = data.map((d) => tf.tensor1d(d));
      const before = backend().numDataIds();
      const sum = tf.addN(xs);
      const got = (await sum.data()) as Float32Array;
      // Every input's value was used: the result is the CPU's sum, not zeros.
      expect(Math.max(...got.map((v, i) => Math.abs(v - expected[i]))), `n=${n}`).toBeLessThan(1e-6 * n);
      expect(Math.min(...expected)).toBeGreaterThanOrEqual(n / 2 - 1e-3);
      // The partial sums of the grouped kernel are freed: one new buffer, the result.
      expect(backend().numDataIds(), `n=${n}`).toBe(before + 1);
      tf.dispose([sum, ...xs]);
    }
  });

  it('gradient clipping’s global norm over 60 gradients is the CPU’s', async () => {
    const data = inputs(60);
    const expected = await onCpu(() => tf.sqrt(tf.addN(data.map((d) => tf.sum(tf.square(tf.tensor1d(d)))))));
    const got = tf.tidy(() => tf.sqrt(tf.addN(data.map((d) => tf.sum(tf.square(tf.tensor1d(d)))))));
    expect((await got.data())[0]).toBeCloseTo(expected[0], 3);
    got.dispose();
  });

  it('GPU memory stays bounded when batch lengths vary (tfjs kept every freed buffer, by exact size, forever)', async () => {
    const config = parseModelConfig({
      model_type: 'gpt2',
      vocab_size: 64,
      n_positions: 64,
      n_embd: 32,
      n_layer: 2,
      n_head: 4,
    });
    const lengths = Array.from({ length: 8 }, (_, i) => 8 + ((i * 13) % 50));
    const batch = (T: number) => ({
      ids: tf.tensor2d(
        Int32Array.from({ length: 4 * T }, (_, i) => (i * 5) % 64),
        [4, T],
        'int32',
      ),
      targets: tf.tensor2d(
        Int32Array.from({ length: 4 * T }, (_, i) => (i * 3) % 64),
        [4, T],
        'int32',
      ),
      mask: tf.ones([4, T]) as tf.Tensor2D,
    });
    const losses = async () => {
      const model = createModel(config, { seed: 5 });
      const out: number[] = [];
      const allocated: number[] = [];
      for (const T of lengths) {
        const t = batch(T);
        const { value, grads } = tf.variableGrads(
          () => lossSum(model, t, { training: false }).loss,
          [...model.weights.values()],
        );
        out.push((await value.data())[0]);
        tf.dispose([value, ...Object.values(grads), t.ids, t.targets, t.mask]);
        allocated.push((tf.memory() as { numBytesAllocatedInGPU?: number }).numBytesAllocatedInGPU ?? 0);
      }
      model.dispose();
      return { out, allocated };
    };
    await tf.setBackend('cpu');
    const cpu = await losses();
    await tf.setBackend('webgpu');
    const pool = webGpuSession()!.pool;
    const floor = pool.floorBytes;
    pool.floorBytes = 0; // bound at twice the peak in use, however small this model is
    try {
      const gpu = await losses();
      expect(pool.trims).toBeGreaterThan(0);
      for (const bytes of gpu.allocated) expect(bytes).toBeLessThanOrEqual(2 * pool.peakUsedBytes);
      gpu.out.forEach((l, i) =>
        expect(Math.abs(l - cpu.out[i]) / cpu.out[i], `T=${lengths[i]}`).toBeLessThan(1e-5),
      );
    } finally {
      pool.floorBytes = floor;
    }
  }, 180_000);

  it('a device error (here a shader that does not compile) fails the next read instead of reading zeros', async () => {
    const x = tf.tensor1d([1, 2, 3, 4]);
    const outputShape = [4];
    const dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    const workgroupSize: [number, number, number] = [64, 1, 1];
    const program = {
      variableNames: ['x'],
      outputShape,
      shaderKey: 'tuneplane-test-broken-shader',
      dispatchLayout,
      dispatch: webgpu_util.computeDispatch(dispatchLayout, outputShape, workgroupSize),
      workgroupSize,
      size: true,
      getUserCode: () => 'this is not WGSL',
    };
    const out = backend().runWebGPUProgram(program, [x], 'float32');
    const y = tf.engine().makeTensorFromTensorInfo(out);
    await expect(y.data()).rejects.toThrow(WebGpuDeviceError);
    // Sticky: nothing computed afterwards can be trusted either.
    await expect(tf.add(x, 1).data()).rejects.toThrow(/WebGPU device reported/);
    tf.dispose([x, y]);
    deviceErrors().splice(0); // this test's own error; the others must see none
  });
});
