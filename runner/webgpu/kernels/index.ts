/**
 * Our fixes to tfjs-backend-webgpu 4.22's kernels, installed on the 'webgpu' backend once it is
 * registered. Each was found by running the trainer on WebGPU against the CPU path and PyTorch;
 * test/compat/webgpu holds one test per fix.
 */
import { installAddN } from './add-n';

let installed: string[] | undefined;

export function installWebGpuKernels(): string[] {
  if (installed) return installed;
  installAddN();
  installed = ['AddN'];
  return installed;
}
