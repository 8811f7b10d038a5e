// Elementwise kernels. The pure-JS cpu backend computes a broadcast binary op by building index
// arrays for every element (~100 ns each); AdamW's scalar-times-tensor updates, bias adds,
// layer norm and attention masks all broadcast, so these dominate once matmuls are native.
import { BinaryOp, UnaryOp } from '../addon';
import { allocF32 } from '../arena';
import {
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

function binary(op: number): NativeKernelFactory {
  return (addon, fallback): KernelFunc =>
    (args: KernelArgs) => {
      const backend = cpuBackend(args);
      const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
      const av = f32(backend, a),
        bv = f32(backend, b);
      const outShape = av && bv ? broadcastShape(a.shape, b.shape) : null;
      if (!av || !bv || !outShape || outShape.length > 8) return fallback(args);
      const out = allocF32(sizeOf(outShape));
      addon.binary(
        op,
        av,
        broadcastStrides(a.shape, outShape),
        bv,
        broadcastStrides(b.shape, outShape),
        out,
        outShape,
      );
      return backend.makeTensorInfo(outShape, 'float32', out);
    };
}

function unary(op: number): NativeKernelFactory {
  return (addon, fallback): KernelFunc =>
    (args: KernelArgs) => {
      const backend = cpuBackend(args);
      const { x } = args.inputs as { x: TensorInfo };
      const xv = f32(backend, x);
      if (!xv) return fallback(args);
      const out = allocF32(xv.length);
      addon.unary(op, xv, out);
      return backend.makeTensorInfo(x.shape.slice(), 'float32', out);
    };
}

export const softmax: NativeKernelFactory =
  (addon, fallback): KernelFunc =>
  (args: KernelArgs) => {
    const backend = cpuBackend(args);
    const { logits } = args.inputs as { logits: TensorInfo };
    const { dim } = args.attrs as { dim: number };
    const rank = logits.shape.length;
    const xv = f32(backend, logits);
    if (!xv || rank === 0 || (dim !== -1 && dim !== rank - 1)) return fallback(args);
    const cols = logits.shape[rank - 1];
    if (cols === 0) return fallback(args);
    const out = new Float32Array(xv.length);
    addon.softmax(xv, out, xv.length / cols, cols);
    return backend.makeTensorInfo(logits.shape.slice(), 'float32', out);
  };

/** tfjs kernel name → native implementation. */
export const elementwiseKernels: Record<string, NativeKernelFactory> = {
  Add: binary(BinaryOp.Add),
  Sub: binary(BinaryOp.Sub),
  Multiply: binary(BinaryOp.Mul),
  RealDiv: binary(BinaryOp.Div),
  Maximum: binary(BinaryOp.Max),
  Minimum: binary(BinaryOp.Min),
  SquaredDifference: binary(BinaryOp.SquaredDifference),
  Pow: binary(BinaryOp.Pow),
  Exp: unary(UnaryOp.Exp),
  Log: unary(UnaryOp.Log),
  Tanh: unary(UnaryOp.Tanh),
  Sqrt: unary(UnaryOp.Sqrt),
  Rsqrt: unary(UnaryOp.Rsqrt),
  Neg: unary(UnaryOp.Neg),
  Square: unary(UnaryOp.Square),
  Relu: unary(UnaryOp.Relu),
  Abs: unary(UnaryOp.Abs),
  Sigmoid: unary(UnaryOp.Sigmoid),
  Reciprocal: unary(UnaryOp.Reciprocal),
  Softmax: softmax,
};
