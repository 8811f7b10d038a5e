// Slice, SplitV and Concat as strided block copies. The pure-JS cpu backend copies a
// non-contiguous slice element by element through index arrays (seconds per step for the
// q/k/v split of a [B, T, 3H] projection); contiguous slices stay zero-copy views as in tfjs.
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from '../addon';
import {
  type CpuBackend,
  type KernelArgs,
  type KernelFunc,
  type NativeKernelFactory,
  type TensorInfo,
  cpuBackend,
  newLike,
  sizeOf,
  stridesOf,
  word,
} from './common';

function sliceInfo(
  addon: NativeAddon,
  backend: CpuBackend,
  x: TensorInfo,
  xv: Float32Array | Int32Array,
  begin: number[],
  size: number[],
): TensorInfo {
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const start = begin.reduce((acc, b, d) => acc + b * stridesOf(x.shape)[d], 0);
    return backend.makeTensorInfo(size, x.dtype, xv.subarray(start, start + sizeOf(size)));
  }
  const strides = stridesOf(x.shape);
  const out = newLike(x, sizeOf(size));
  const offset = begin.reduce((acc, b, d) => acc + b * strides[d], 0);
  addon.stridedCopy(xv, offset, strides, out, 0, size[size.length - 1], size);
  return backend.makeTensorInfo(size, x.dtype, out);
}

export const slice: NativeKernelFactory =
  (addon, fallback): KernelFunc =>
  (args: KernelArgs) => {
    const backend = cpuBackend(args);
    const { x } = args.inputs as { x: TensorInfo };
    const xv = word(backend, x);
    if (!xv || x.shape.length === 0 || x.shape.length > 8) return fallback(args);
    const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
    tf.slice_util.assertParamsValid(x as unknown as tf.Tensor, b, s);
    if (sizeOf(s) === 0) return fallback(args);
    return sliceInfo(addon, backend, x, xv, b, s);
  };

export const splitV: NativeKernelFactory =
  (addon, fallback): KernelFunc =>
  (args: KernelArgs) => {
    const backend = cpuBackend(args);
    const { x } = args.inputs as { x: TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    const xv = word(backend, x);
    if (!xv || x.shape.length === 0 || x.shape.length > 8) return fallback(args);
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, ax);
    if (sizes.some((n) => n === 0)) return fallback(args);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((n) => {
      const size = x.shape.slice();
      size[ax] = n;
      const part = sliceInfo(addon, backend, x, xv, begin.slice(), size);
      begin[ax] += n;
      return part;
    });
  };

export const concat: NativeKernelFactory =
  (addon, fallback): KernelFunc =>
  (args: KernelArgs) => {
    const backend = cpuBackend(args);
    const inputs = Object.values(args.inputs) as TensorInfo[];
    const { axis } = args.attrs as { axis: number };
    if (inputs.length < 2) return fallback(args);
    const first = inputs[0];
    const ax = tf.util.parseAxisParam(axis, first.shape)[0];
    const values = inputs.map((t) => (t.dtype === first.dtype ? word(backend, t) : null));
    const shapesOk = inputs.every(
      (t) =>
        t.shape.length === first.shape.length && t.shape.every((d, i) => i === ax || d === first.shape[i]),
    );
    if (!shapesOk || values.some((v) => !v) || inputs.some((t) => sizeOf(t.shape) === 0))
      return fallback(args);
    const outShape = first.shape.slice();
    outShape[ax] = inputs.reduce((acc, t) => acc + t.shape[ax], 0);
    const outer = sizeOf(first.shape.slice(0, ax));
    const rowLen = sizeOf(outShape.slice(ax));
    const out = newLike(first, outer * rowLen);
    let col = 0;
    inputs.forEach((t, i) => {
      const inner = sizeOf(t.shape.slice(ax));
      addon.stridedCopy(values[i]!, 0, [inner, 1], out, col, rowLen, [outer, inner]);
      col += inner;
    });
    return backend.makeTensorInfo(outShape, first.dtype, out);
  };

export const copyKernels: Record<string, NativeKernelFactory> = {
  Slice: slice,
  SplitV: splitV,
  Concat: concat,
};
