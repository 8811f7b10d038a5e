/**
 * AddN for any number of inputs. tfjs-backend-webgpu's AddN binds every input as a storage buffer
 * of one shader; past the device's `maxStorageBuffersPerShaderStage` (16 on Mesa's GLES, often 8–16
 * elsewhere) pipeline creation fails, tfjs does not notice, and the "sum" reads as zeros. Gradient
 * clipping sums one squared norm per weight (50+ for a 4-layer GPT-2), so its global norm was 0 and
 * clipping never applied. Here inputs are summed in groups that fit, then the partial sums, and so on.
 */
import * as tf from '@tensorflow/tfjs';

interface WebGpuBackendLike {
  device: { limits: Record<string, number> };
  disposeData(dataId: object): boolean;
}

export function installAddN(): void {
  const original = tf.getKernel('AddN', 'webgpu');
  if (!original) throw new Error('tfjs-backend-webgpu has no AddN kernel to wrap');
  const addN = original.kernelFunc;
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({
    kernelName: 'AddN',
    backendName: 'webgpu',
    kernelFunc: (args) => {
      const backend = args.backend as unknown as WebGpuBackendLike;
      // One binding is the output.
      const group = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
      let inputs = args.inputs as unknown as tf.TensorInfo[];
      let owned: tf.TensorInfo[] = [];
      while (inputs.length > group) {
        const next: tf.TensorInfo[] = [];
        for (let i = 0; i < inputs.length; i += group) {
          const part = inputs.slice(i, i + group);
          next.push(
            part.length === 1 ? part[0] : (addN({ ...args, inputs: part as never }) as tf.TensorInfo),
          );
        }
        // Partial sums of the previous round are ours to free (the caller's inputs are not).
        for (const t of owned) if (!next.includes(t)) backend.disposeData(t.dataId);
        owned = next.filter((t) => !(args.inputs as unknown as tf.TensorInfo[]).includes(t));
        inputs = next;
      }
      const out = addN({ ...args, inputs: inputs as never }) as tf.TensorInfo;
      for (const t of owned) if (t !== out) backend.disposeData(t.dataId);
      return out;
    },
  });
}
