/**
 * Loss terms of one batch as SUMS (not means): gradient accumulation divides by the token count of
 * the whole optimizer step, so k micro-batches give exactly the gradient of one batch of k·b.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batch';
import type { ForwardOptions, TrainableModel } from './model';

export interface BatchTensors {
  ids: tf.Tensor2D;
  targets?: tf.Tensor2D;
  mask?: tf.Tensor2D;
  lastIndex?: tf.Tensor1D;
  labels?: tf.Tensor1D;
}

export function toTensors(b: Batch): BatchTensors {
  const ids = tf.tensor2d(b.ids, [b.size, b.length], 'int32');
  if (b.lastIndex && b.labels) {
    return { ids, lastIndex: tf.tensor1d(b.lastIndex, 'int32'), labels: tf.tensor1d(b.labels, 'int32') };
  }
  return {
    ids,
    targets: tf.tensor2d(b.targets, [b.size, b.length], 'int32'),
    mask: tf.tensor2d(b.mask, [b.size, b.length], 'float32'),
  };
}

/** Sum of per-term cross-entropy and the number of correct argmax predictions, both scalars. */
export function lossSum(
  model: TrainableModel,
  t: BatchTensors,
  opts: ForwardOptions,
): { loss: tf.Scalar; correct: tf.Scalar } {
  if (t.lastIndex && t.labels) {
    const logits = model.classify(t.ids, t.lastIndex, opts);
    const logp = tf.logSoftmax(logits);
    const onehot = tf.oneHot(t.labels, logits.shape[1]);
    const loss = tf.neg(tf.sum(tf.mul(logp, onehot))) as tf.Scalar;
    const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), t.labels), 'float32')) as tf.Scalar;
    return { loss, correct };
  }
  const logits = model.logits(t.ids, opts);
  const vocab = logits.shape[2];
  const logp = tf.logSoftmax(logits);
  const onehot = tf.oneHot(t.targets!, vocab);
  const nll = tf.neg(tf.sum(tf.mul(logp, onehot), -1));
  const loss = tf.sum(tf.mul(nll, t.mask!)) as tf.Scalar;
  const hit = tf.cast(tf.equal(tf.argMax(logits, -1), t.targets!), 'float32');
  const correct = tf.sum(tf.mul(hit, t.mask!)) as tf.Scalar;
  return { loss, correct };
}

export function disposeTensors(t: BatchTensors): void {
  for (const x of [t.ids, t.targets, t.mask, t.lastIndex, t.labels]) x?.dispose();
}
