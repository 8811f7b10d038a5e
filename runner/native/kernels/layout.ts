// Reductions, transposes, and the embedding pair: GatherV2 (lookup) and UnsortedSegmentSum
// (its gradient, which the pure-JS backend computes as one full masked pass per vocabulary row).
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from '../addon';
import { ReduceOp } from '../addon';
import {
  type KernelArgs,
  type KernelFunc,
  type NativeKernelFactory,
  type TensorInfo,
  cpuBackend,
  f32,
  i32,
  newLike,
  sizeOf,
  word,
} from './common';

function reduce(op: number, axisAttr: 'axis' | 'reductionIndices'): NativeKernelFactory {
  return (addon, fallback): KernelFunc =>
    (args: KernelArgs) => {
      const backend = cpuBackend(args);
      const { x } = args.inputs as { x: TensorInfo };
      const attrs = args.attrs as Record<string, unknown>;
      const keepDims = Boolean(attrs.keepDims);
      const xv = f32(backend, x);
      const shape = x.shape;
      if (!xv || shape.length === 0 || shape.length > 8 || xv.length === 0) return fallback(args);
      const axes = tf.util.parseAxisParam(attrs[axisAttr] as number | number[], shape).sort((p, q) => p - q);
      if (axes.length === 0) return fallback(args);
      const reduced = new Set(axes);
      const outShape = keepDims
        ? shape.map((d, i) => (reduced.has(i) ? 1 : d))
        : shape.filter((_, i) => !reduced.has(i));
      const r = sizeOf(axes.map((d) => shape[d]));
      const out = new Float32Array(xv.length / r);
      const first = axes[0],
        last = axes[axes.length - 1];
      if (last - first + 1 === axes.length) {
        // One contiguous block of axes: view x as [outer, r, inner], no data movement.
        addon.reduce(op, xv, out, sizeOf(shape.slice(0, first)), r, sizeOf(shape.slice(last + 1)));
      } else {
        const kept = shape.map((_, i) => i).filter((i) => !reduced.has(i));
        const moved = new Float32Array(xv.length);
        addon.transpose(xv, moved, shape.slice(), [...kept, ...axes]);
        addon.reduce(op, moved, out, xv.length / r, r, 1);
      }
      return backend.makeTensorInfo(outShape, 'float32', out);
    };
}

export const transpose: NativeKernelFactory =
  (addon, fallback): KernelFunc =>
  (args: KernelArgs) => {
    const backend = cpuBackend(args);
    const { x } = args.inputs as { x: TensorInfo };
    const { perm } = args.attrs as { perm: number[] };
    const xv = word(backend, x);
    if (!xv || x.shape.length > 8 || perm.length !== x.shape.length) return fallback(args);
    const out = newLike(x, xv.length);
    addon.transpose(xv, out, x.shape.slice(), perm.slice());
    return backend.makeTensorInfo(
      perm.map((p) => x.shape[p]),
      x.dtype,
      out,
    );
  };

export const gatherV2: NativeKernelFactory =
  (addon: NativeAddon, fallback): KernelFunc =>
  (args: KernelArgs) => {
    const backend = cpuBackend(args);
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims?: number };
    const xv = word(backend, x),
      iv = i32(backend, indices);
    if (!xv || !iv || (batchDims ?? 0) !== 0 || x.shape.length === 0) return fallback(args);
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const nrows = x.shape[ax];
    const inner = sizeOf(x.shape.slice(ax + 1));
    const outer = sizeOf(x.shape.slice(0, ax));
    const outShape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
    const out = newLike(x, sizeOf(outShape));
    const slab = nrows * inner,
      outSlab = iv.length * inner;
    for (let o = 0; o < outer; o++) {
      const bad = addon.gatherRows(
        xv.subarray(o * slab, (o + 1) * slab),
        nrows,
        iv,
        out.subarray(o * outSlab, (o + 1) * outSlab),
        inner,
      );
      if (bad >= 0) throw new Error(`GatherV2: the index value ${iv[bad]} is not in [0, ${nrows - 1}]`);
    }
    return backend.makeTensorInfo(outShape, x.dtype, out);
  };

export const unsortedSegmentSum: NativeKernelFactory =
  (addon, fallback): KernelFunc =>
  (args: KernelArgs) => {
    const backend = cpuBackend(args);
    const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
    const { numSegments } = args.attrs as { numSegments: number };
    const xv = f32(backend, x),
      sv = i32(backend, segmentIds);
    if (
      !xv ||
      !sv ||
      segmentIds.shape.length !== 1 ||
      x.shape.length === 0 ||
      segmentIds.shape[0] !== x.shape[0]
    ) {
      return fallback(args);
    }
    const rowLen = sizeOf(x.shape.slice(1));
    const out = new Float32Array(numSegments * rowLen);
    addon.scatterAddRows(xv, sv, out, numSegments, rowLen);
    return backend.makeTensorInfo([numSegments, ...x.shape.slice(1)], 'float32', out);
  };

export const layoutKernels: Record<string, NativeKernelFactory> = {
  Sum: reduce(ReduceOp.Sum, 'axis'),
  Mean: reduce(ReduceOp.Mean, 'axis'),
  Max: reduce(ReduceOp.Max, 'reductionIndices'),
  Min: reduce(ReduceOp.Min, 'axis'),
  Transpose: transpose,
  GatherV2: gatherV2,
  UnsortedSegmentSum: unsortedSegmentSum,
};
