// Installs the native kernels on the tfjs `cpu` backend, replacing the pure-JS ones, and can
// put the originals back. Every native kernel keeps the original to delegate the cases it does
// not cover (other dtypes, unusual broadcasts), so behaviour never depends on the addon's reach.
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { type NativeAddon, loadAddon } from './addon';
import { installArena } from './arena';
import type { KernelFunc, NativeKernelFactory } from './kernels/common';
import { copyKernels } from './kernels/copy';
import { elementwiseKernels } from './kernels/elementwise';
import { layoutKernels } from './kernels/layout';
import { decodeKernels } from './kernels/decode';
import { fusedKernels } from './kernels/fused';
import { tiledKernels } from './kernels/attention-tiled';
import { batchMatMul, fusedMatMul } from './kernels/matmul';

const BACKEND = 'cpu';

export const NATIVE_KERNELS: Record<string, NativeKernelFactory> = {
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  ...elementwiseKernels,
  ...layoutKernels,
  ...copyKernels,
};

export interface NativeStatus {
  active: boolean;
  /** Kernel names now served by the addon on the cpu backend. */
  kernels: string[];
  blas?: string;
  threads?: number;
  addonPath?: string;
  /** Why the pure-JS kernels stay in place, when they do. */
  reason?: string;
}

export interface RegisterOptions {
  /** Skip the addon entirely (e.g. to compare against the pure-JS backend). */
  disabled?: boolean;
  addonPath?: string;
  /** OpenBLAS threads; defaults to the number of CPUs Node may use. */
  threads?: number;
  log?: (message: string) => void;
}

const originals = new Map<string, tf.KernelConfig>();
/** Kernels tfjs does not have (the fused sub-layers), registered fresh and removed on unregister. */
const added: string[] = [];
let activeAddon: NativeAddon | undefined;

/** The loaded addon while the native kernels are active (the optimizer calls it directly). */
export function activeNativeAddon(): NativeAddon | undefined {
  return activeAddon;
}
let status: NativeStatus = { active: false, kernels: [], reason: 'not registered' };

export function nativeStatus(): NativeStatus {
  return status;
}

/**
 * Registers the native kernels (idempotent). Never throws for a missing or broken addon:
 * logs the reason and leaves the pure-JS kernels in place.
 */
export function registerNativeKernels(options: RegisterOptions = {}): NativeStatus {
  const log = options.log ?? ((m: string) => console.error(m));
  if (status.active) return status;
  if (options.disabled) {
    status = { active: false, kernels: [], reason: 'disabled by configuration' };
    log(`tuneplane native kernels: off (${status.reason}); using pure-JS tfjs cpu kernels`);
    return status;
  }
  const loaded = loadAddon(options.addonPath);
  if (!loaded.ok) {
    status = { active: false, kernels: [], reason: loaded.reason };
    log(`tuneplane native kernels: off (${loaded.reason}); using pure-JS tfjs cpu kernels`);
    return status;
  }
  const addon: NativeAddon = loaded.addon;
  const threads = options.threads ?? os.availableParallelism();
  addon.setThreads(threads);
  const kernels: string[] = [];
  for (const [name, factory] of Object.entries(NATIVE_KERNELS)) {
    const original = tf.getKernel(name, BACKEND);
    if (!original) continue; // this tfjs build lacks the kernel; nothing to replace
    originals.set(name, original);
    const fallback = original.kernelFunc as KernelFunc;
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel({ ...original, kernelFunc: factory(addon, fallback) });
    kernels.push(name);
  }
  for (const [name, factory] of Object.entries({ ...fusedKernels, ...tiledKernels, ...decodeKernels })) {
    if (tf.getKernel(name, BACKEND)) tf.unregisterKernel(name, BACKEND);
    tf.registerKernel({ kernelName: name, backendName: BACKEND, kernelFunc: factory(addon) });
    added.push(name);
    kernels.push(name);
  }
  activeAddon = addon;
  const backend = tf.findBackend(BACKEND);
  if (backend) installArena(backend);
  const info = addon.info();
  status = {
    active: true,
    kernels,
    blas: `${info.blasConfig} (core ${info.blasCore})`,
    threads: info.blasThreads,
    addonPath: loaded.path,
  };
  log(
    `tuneplane native kernels: on for tfjs '${BACKEND}' backend via ${status.blas}, ` +
      `${status.threads} BLAS threads; kernels: ${kernels.join(', ')}`,
  );
  return status;
}

/** Changes the thread count of active native kernels (BLAS and elementwise). */
export function setNativeThreads(n: number): void {
  if (!status.active) return;
  const loaded = loadAddon(status.addonPath);
  if (loaded.ok) {
    loaded.addon.setThreads(n);
    status = { ...status, threads: loaded.addon.info().blasThreads };
  }
}

/** Puts the pure-JS kernels back (tests compare both in one process). */
export function unregisterNativeKernels(): void {
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(original);
  }
  originals.clear();
  for (const name of added) tf.unregisterKernel(name, BACKEND);
  added.length = 0;
  activeAddon = undefined;
  status = { active: false, kernels: [], reason: 'unregistered' };
}
