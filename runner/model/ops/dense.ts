/**
 * The dense layer of both families, y = act(x·W + bias) + residual: one fused kernel forward and
 * one backward where the backend has them (the activation's derivative, both GEMMs and the bias
 * sum), else matMul, add and the activation as separate ops.
 */
import * as tf from '@tensorflow/tfjs';
import { geluErf, geluTanh, silu } from '../layers';
import { fusedOp, memo } from './fused';
import { type Activation, FUSED, hasKernel, runKernel } from './kernels';

export type { Activation } from './kernels';

export interface DenseOptions {
  /** Applied to x·W + bias (default 'linear'). */
  activation?: Activation;
  /** Added after the activation (the block's residual stream). */
  residual?: tf.Tensor;
}

interface Variant {
  transposeW: boolean;
  activation: Activation;
  bias: boolean;
  residual: boolean;
}

const fusedDense = memo((v: Variant) =>
  fusedOp(
    (inputs) => {
      const [x, w] = inputs;
      const named: tf.NamedTensorMap = { x, w };
      if (v.bias) named.bias = inputs[2];
      if (v.residual) named.residual = inputs[v.bias ? 3 : 2];
      const [y, pre] = runKernel(FUSED.Dense, named, { transposeW: v.transposeW, activation: v.activation });
      return { value: y, save: pre ? [x, w, pre] : [x, w] };
    },
    (dy, [x, w, pre]) => {
      const grads = runKernel(FUSED.DenseGrad, pre ? { dy, x, w, pre } : { dy, x, w }, {
        transposeW: v.transposeW,
        activation: v.activation,
        hasBias: v.bias,
      });
      // the residual's gradient is dy itself (a new handle on the same data)
      return v.residual ? [...grads, tf.clone(dy)] : grads;
    },
  ),
);

const ACTIVATE: Record<Activation, (x: tf.Tensor) => tf.Tensor> = {
  linear: (x) => x,
  gelu_tanh: geluTanh,
  gelu_erf: geluErf,
  relu: tf.relu,
  silu,
};

/** x [..., in] · W where W is [in, out] (GPT-2 Conv1D) or [out, in] with transposeW (nn.Linear). */
export function dense(
  x: tf.Tensor,
  w: tf.Tensor,
  transposeW: boolean,
  bias?: tf.Tensor,
  opts: DenseOptions = {},
): tf.Tensor {
  const activation = opts.activation ?? 'linear';
  if (hasKernel(FUSED.Dense)) {
    const op = fusedDense({ transposeW, activation, bias: !!bias, residual: !!opts.residual });
    return op(...([x, w, bias, opts.residual].filter((t) => t !== undefined) as tf.Tensor[]));
  }
  const inDim = x.shape[x.shape.length - 1];
  const outDim = (transposeW ? w.shape[0] : w.shape[1]) as number;
  let y: tf.Tensor = tf.matMul(
    tf.reshape(x, [-1, inDim]) as tf.Tensor2D,
    w as tf.Tensor2D,
    false,
    transposeW,
  );
  if (bias) y = tf.add(y, bias);
  y = ACTIVATE[activation](tf.reshape(y, [...x.shape.slice(0, -1), outDim]));
  return opts.residual ? tf.add(opts.residual, y) : y;
}
