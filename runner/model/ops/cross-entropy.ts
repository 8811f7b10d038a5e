/**
 * Summed softmax cross-entropy over the last axis with a per-row weight, and the weighted count of
 * rows whose first argmax is the target. Fused, one pass computes the log-sum-exp, the loss and the
 * hits, and the backward pass writes softmax − one-hot straight from the saved log-sum-exp (no
 * log-probabilities or one-hot matrix is ever materialised).
 */
import * as tf from '@tensorflow/tfjs';
import { fusedOp } from './fused';
import { FUSED, hasKernel, runKernel } from './kernels';

/** value [2] = [Σ loss, Σ hits]; only the loss is differentiated. */
const fusedCrossEntropy = fusedOp(
  ([logits, targets, mask]) => {
    const [sums, lse] = runKernel(FUSED.SoftmaxCrossEntropy, { logits, targets, mask });
    return { value: sums, save: [logits, targets, mask, lse] };
  },
  (dloss, [logits, targets, mask, lse]) => {
    const [dlogits, dmask] = runKernel(FUSED.SoftmaxCrossEntropyGrad, { dloss, logits, targets, mask, lse });
    return [dlogits, undefined, dmask] as tf.Tensor[];
  },
);

/**
 * logits [..., V], int32 targets [...] and weights [...] (1 for a counted position, 0 for padding)
 * → { loss: Σ weight·(−log softmax(logits)[target]), correct: Σ weight·[argmax = target] }.
 */
export function softmaxCrossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  weights: tf.Tensor,
): { loss: tf.Scalar; correct: tf.Scalar } {
  const vocab = logits.shape[logits.shape.length - 1];
  if (hasKernel(FUSED.SoftmaxCrossEntropy)) {
    const [loss, correct] = tf.unstack(fusedCrossEntropy(logits, targets, weights)) as tf.Scalar[];
    return { loss, correct };
  }
  const logp = tf.logSoftmax(logits);
  const nll = tf.neg(tf.sum(tf.mul(logp, tf.oneHot(targets, vocab)), -1));
  const loss = tf.sum(tf.mul(nll, weights)) as tf.Scalar;
  const hit = tf.cast(tf.equal(tf.argMax(logits, -1), targets), 'float32');
  return { loss, correct: tf.sum(tf.mul(hit, weights)) as tf.Scalar };
}
