/**
 * Puts TensorFlow.js on a Dawn WebGPU adapter: requests a device with every limit the adapter
 * offers (Dawn's defaults are the WebGPU minimums, too small for a real model's buffers and, in
 * compatibility mode, for tfjs shaders with many inputs), registers tfjs-backend-webgpu's backend
 * on it and installs our kernel fixes (./kernels).
 *
 * tfjs-backend-webgpu looks for `navigator.gpu` (a browser API) when its backend is constructed, so
 * the Dawn instance is published there; in Node 20 there is no `navigator` at all.
 */
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { FoundAdapter } from './adapters';
import { boundBufferPool, type BufferManagerLike, type BufferPoolBound } from './buffer-pool';
import type { GpuDevice } from './dawn';
import { installWebGpuKernels } from './kernels';

export interface WebGpuSession {
  device: GpuDevice;
  /** Uncaptured device errors so far (shader compilation, validation): any one means wrong results. */
  errors: string[];
  kernels: string[];
  /** The bound on tfjs's buffer pool (./buffer-pool.ts). */
  pool: BufferPoolBound;
}

let active: WebGpuSession | undefined;

export function webGpuSession(): WebGpuSession | undefined {
  return active;
}

export async function initWebGpuBackend(
  found: FoundAdapter,
  log: (line: string) => void = () => {},
): Promise<WebGpuSession> {
  if (active) throw new Error('The WebGPU backend is already initialised in this process.');
  const { adapter, gpu } = found;
  const requiredLimits: Record<string, number> = {};
  for (const name in adapter.limits) requiredLimits[name] = adapter.limits[name];
  const device = await adapter.requestDevice({ requiredLimits });
  const errors: string[] = [];
  device.addEventListener?.('uncapturederror', (e) => {
    errors.push(e.error.message);
    log(
      JSON.stringify({ level: 'error', msg: 'webgpu device error', error: e.error.message.split('\n')[0] }),
    );
  });
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed')
      log(
        JSON.stringify({
          level: 'error',
          msg: 'webgpu device lost',
          reason: info.reason,
          message: info.message,
        }),
      );
  });
  publishNavigatorGpu(gpu);
  const backend = new WebGPUBackend(device as never, adapter.info as never);
  // tfjs never looks at WebGPU validation errors: a pipeline that fails to compile or a buffer past
  // a device limit just yields zeros. Every read of a tensor (each training step reads its loss)
  // fails instead once the device has reported one, so a job stops rather than train on garbage.
  const pool = boundBufferPool((backend as unknown as { bufferManager: BufferManagerLike }).bufferManager);
  const read = backend.read.bind(backend);
  backend.read = async (dataId: object) => {
    const values = await read(dataId);
    if (errors.length > 0) throw new WebGpuDeviceError(errors);
    return values;
  };
  tf.registerBackend('webgpu', () => backend, 3);
  if (!(await tf.setBackend('webgpu'))) throw new Error('the tfjs webgpu backend did not initialise');
  await tf.ready();
  // tfjs runs an op on the CPU when its inputs are small and still on the host; off, every op of
  // the model runs on the GPU, which is what the fidelity tests check.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const kernels = installWebGpuKernels();
  active = { device, errors, kernels, pool };
  return active;
}

export class WebGpuDeviceError extends Error {
  constructor(readonly errors: string[]) {
    super(
      `The WebGPU device reported ${errors.length} error(s); results are invalid. First: ${errors[0].split('\n')[0]}`,
    );
    this.name = 'WebGpuDeviceError';
  }
}

function publishNavigatorGpu(gpu: unknown): void {
  const g = globalThis as { navigator?: Record<string, unknown> };
  if (!g.navigator)
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
}
