// BatchMatMul and _FusedMatMul through OpenBLAS sgemm: the forward, backward and attention
// matmuls of a transformer, i.e. nearly all of its FLOPs.
import type { NativeAddon } from '../addon';
import { BinaryOp, UnaryOp } from '../addon';
import { allocF32, recycleScratch } from '../arena';
import {
  type CpuBackend,
  type KernelArgs,
  type KernelFunc,
  type NativeKernelFactory,
  type TensorInfo,
  broadcastShape,
  broadcastStrides,
  cpuBackend,
  f32,
  sizeOf,
} from './common';

interface Product {
  values: Float32Array;
  shape: number[];
}

/** op(a) · op(b) with tfjs semantics (batch dims broadcast), or null when the case is not covered. */
function product(
  addon: NativeAddon,
  backend: CpuBackend,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): Product | null {
  const av = f32(backend, a),
    bv = f32(backend, b);
  if (!av || !bv || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length,
    rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const ka = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (ka !== kb) return null;
  const outerA = a.shape.slice(0, -2),
    outerB = b.shape.slice(0, -2);
  const outer = broadcastShape(outerA, outerB);
  if (!outer) return null;
  const batchA = sizeOf(outerA),
    batchB = sizeOf(outerB),
    batch = sizeOf(outer);
  // Mixed broadcasting such as [2,1] x [1,3] needs per-dimension batch strides; rare, left to JS.
  if (!(batchA === batch || batchA === 1) || !(batchB === batch || batchB === 1)) return null;
  if (
    batchA === batch &&
    batch > 1 &&
    broadcastStrides(outerA, outer).some((s, i) => s === 0 && outer[i] > 1)
  )
    return null;
  if (
    batchB === batch &&
    batch > 1 &&
    broadcastStrides(outerB, outer).some((s, i) => s === 0 && outer[i] > 1)
  )
    return null;
  const values = batch > 0 ? allocF32(batch * m * n) : new Float32Array(0);
  if (batch > 0) {
    addon.sgemm(
      transposeA,
      transposeB,
      batch,
      m,
      n,
      ka,
      av,
      batchA === 1 ? 0 : m * ka,
      bv,
      batchB === 1 ? 0 : ka * n,
      values,
    );
  }
  return { values, shape: [...outer, m, n] };
}

export const batchMatMul: NativeKernelFactory =
  (addon, fallback): KernelFunc =>
  (args: KernelArgs) => {
    const backend = cpuBackend(args);
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const p = product(addon, backend, a, b, transposeA, transposeB);
    return p ? backend.makeTensorInfo(p.shape, 'float32', p.values) : fallback(args);
  };

const ACTIVATIONS: Record<string, number | null> = {
  linear: null,
  relu: UnaryOp.Relu,
  sigmoid: UnaryOp.Sigmoid,
};

export const fusedMatMul: NativeKernelFactory =
  (addon, fallback): KernelFunc =>
  (args: KernelArgs) => {
    const backend = cpuBackend(args);
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const { transposeA, transposeB, activation } = args.attrs as {
      transposeA: boolean;
      transposeB: boolean;
      activation?: string;
    };
    const act = activation ?? 'linear';
    if (!a || !b || preluActivationWeights || !(act in ACTIVATIONS)) return fallback(args);
    const biasValues = bias ? f32(backend, bias) : null;
    if (bias && !biasValues) return fallback(args);
    const p = product(addon, backend, a, b, transposeA, transposeB);
    if (!p) return fallback(args);
    let values = p.values;
    let shape = p.shape;
    if (bias && biasValues) {
      const outShape = broadcastShape(shape, bias.shape);
      if (!outShape) return fallback(args);
      const summed = allocF32(sizeOf(outShape));
      addon.binary(
        BinaryOp.Add,
        values,
        broadcastStrides(shape, outShape),
        biasValues,
        broadcastStrides(bias.shape, outShape),
        summed,
        outShape,
      );
      recycleScratch(values);
      values = summed;
      shape = outShape;
    }
    const op = ACTIVATIONS[act];
    if (op !== null) {
      const activated = allocF32(values.length);
      addon.unary(op, values, activated);
      recycleScratch(values);
      values = activated;
    }
    return backend.makeTensorInfo(shape, 'float32', values);
  };
