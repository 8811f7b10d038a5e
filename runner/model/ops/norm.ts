/** Layer norm and RMSNorm over the last axis: fused where the backend has the kernels. */
import * as tf from '@tensorflow/tfjs';
import { fusedOp, memo } from './fused';
import { FUSED, hasKernel, runKernel } from './kernels';

/**
 * Mean over the last axis, kept as size 1. Written as a sum times 1/n: tf.mean goes through a generic
 * custom-gradient op that the pure-JS cpu backend runs far slower than a plain sum.
 */
function meanLast(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.sum(x, -1, true), 1 / x.shape[x.shape.length - 1]);
}

const fusedLayerNorm = memo((eps: number) =>
  fusedOp(
    ([x, gamma, beta]) => {
      const [y, stats] = runKernel(FUSED.LayerNorm, { x, gamma, beta }, { eps });
      return { value: y, save: [x, gamma, stats] };
    },
    (dy, [x, gamma, stats]) => runKernel(FUSED.LayerNormGrad, { dy, x, gamma, stats }),
  ),
);

/** torch.nn.functional.layer_norm over the last axis (biased variance). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  if (hasKernel(FUSED.LayerNorm)) return fusedLayerNorm(eps)(x, gamma, beta);
  const centered = tf.sub(x, meanLast(x));
  const variance = meanLast(tf.square(centered));
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

const fusedRmsNorm = memo((eps: number) =>
  fusedOp(
    ([x, weight]) => {
      const [y, rstd] = runKernel(FUSED.RmsNorm, { x, weight }, { eps });
      return { value: y, save: [x, weight, rstd] };
    },
    (dy, [x, weight, rstd]) => runKernel(FUSED.RmsNormGrad, { dy, x, weight, rstd }),
  ),
);

/** Llama RMSNorm: x / sqrt(mean(x²) + eps) * weight. */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  if (hasKernel(FUSED.RmsNorm)) return fusedRmsNorm(eps)(x, weight);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanLast(tf.square(x)), eps))), weight);
}
