/**
 * Loss terms of one batch as SUMS (not means): gradient accumulation divides by the token count of
 * the whole optimizer step, so k micro-batches give exactly the gradient of one batch of k·b.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batch';
import { softmaxCrossEntropy } from '../model/ops';
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
    return softmaxCrossEntropy(logits, t.labels, tf.ones(t.labels.shape));
  }
  return softmaxCrossEntropy(model.logits(t.ids, opts), t.targets!, t.mask!);
}

export function disposeTensors(t: BatchTensors): void {
  for (const x of [t.ids, t.targets, t.mask, t.lastIndex, t.labels]) x?.dispose();
}
