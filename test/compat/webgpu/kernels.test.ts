/**
 * What tfjs-backend-webgpu 4.22 got wrong for our trainer, one test per fix (runner/webgpu/kernels
 * and runner/webgpu/backend.ts), each checked against the CPU backend on the same inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import { afterEach, describe, expect, it } from 'vitest';
import { WebGpuDeviceError } from '../../../runner/webgpu';
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
