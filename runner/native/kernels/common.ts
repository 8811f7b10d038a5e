// Shared plumbing for native kernels on the tfjs `cpu` backend: that backend keeps each
// tensor's values as a TypedArray in backend.data, and a kernel returns a TensorInfo made
// from a freshly allocated TypedArray, which the C side fills in place (no copies).
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from '../addon';

export type TensorInfo = tf.TensorInfo;
export type KernelFunc = tf.KernelFunc;
export type KernelArgs = Parameters<KernelFunc>[0];

/** The slice of MathBackendCPU that kernels use. */
export interface CpuBackend {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array | Int32Array): TensorInfo;
}

/** A native kernel: gets the addon and the original pure-JS kernel to delegate what it does not cover. */
export type NativeKernelFactory = (addon: NativeAddon, fallback: KernelFunc) => KernelFunc;

export function cpuBackend(args: KernelArgs): CpuBackend {
  return args.backend as unknown as CpuBackend;
}

export function f32(backend: CpuBackend, t: TensorInfo): Float32Array | null {
  const v = backend.data.get(t.dataId).values;
  return t.dtype === 'float32' && v instanceof Float32Array ? v : null;
}

export function i32(backend: CpuBackend, t: TensorInfo): Int32Array | null {
  const v = backend.data.get(t.dataId).values;
  return t.dtype === 'int32' && v instanceof Int32Array ? v : null;
}

/** float32 or int32 values: kernels that only move 4-byte elements treat both alike. */
export function word(backend: CpuBackend, t: TensorInfo): Float32Array | Int32Array | null {
  return f32(backend, t) ?? i32(backend, t);
}

export function newLike(t: TensorInfo, n: number): Float32Array | Int32Array {
  return t.dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/** Numpy broadcast of two shapes, or null when they are incompatible (the fallback then throws tfjs's error). */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let d = 0; d < rank; d++) {
    const x = a[a.length - rank + d] ?? 1;
    const y = b[b.length - rank + d] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out[d] = x === 1 ? y : x;
  }
  return out;
}

/** Element strides of `shape` read as if broadcast to `outShape` (0 along broadcast dimensions). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const off = outShape.length - shape.length;
  return outShape.map((d, i) => {
    const j = i - off;
    if (j < 0 || (shape[j] === 1 && d !== 1)) return 0;
    return own[j];
  });
}
