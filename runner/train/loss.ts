/**
 * Loss terms of one batch as SUMS (not means): gradient accumulation divides by the loss terms of
 * the whole optimizer step (tokens, rows or pairs), so k micro-batches give exactly the gradient of
 * one batch of k·b.
 */
import * as tf from '@tensorflow/tfjs';
import type { DpoSettings } from '../../openapi/schemas/dpo';
import type { Batch } from '../data/batch';
import { softmaxCrossEntropy } from '../model/ops';
import { dpoLoss, sequenceLogps, type PreferenceTerms } from './dpo';
import type { RoutingSink } from '../model/model';
import type { ForwardOptions, TrainableModel } from './model';

export interface BatchTensors {
  ids: tf.Tensor2D;
  targets?: tf.Tensor2D;
  mask?: tf.Tensor2D;
  /** 1 for real positions, 0 for padding (HF's attention_mask; the load-balancing loss reads it). */
  attentionMask?: tf.Tensor2D;
  lastIndex?: tf.Tensor1D;
  labels?: tf.Tensor1D;
  /** Preference pairs: the rows' reference log-probabilities (the k preferred rows, then the k others). */
  reference?: tf.Tensor1D;
}

export type LossTerms = {
  loss: tf.Scalar;
  /** Argmax hits (for preference pairs: on the preferred answers' tokens, TRL's mean_token_accuracy). */
  correct: tf.Scalar;
  preference?: PreferenceTerms;
  /** A mixture of experts: the load-balancing loss of the batch (a mean, unweighted; kept: the caller disposes it). */
  aux?: tf.Scalar;
};

export function toTensors(b: Batch): BatchTensors {
  const ids = tf.tensor2d(b.ids, [b.size, b.length], 'int32');
  const attentionMask = b.attentionMask
    ? { attentionMask: tf.tensor2d(b.attentionMask, [b.size, b.length], 'float32') }
    : {};
  if (b.lastIndex && b.labels) {
    return {
      ids,
      lastIndex: tf.tensor1d(b.lastIndex, 'int32'),
      labels: tf.tensor1d(b.labels, 'int32'),
      ...attentionMask,
    };
  }
  return {
    ids,
    ...attentionMask,
    targets: tf.tensor2d(b.targets, [b.size, b.length], 'int32'),
    mask: tf.tensor2d(b.mask, [b.size, b.length], 'float32'),
    ...(b.preference ? { reference: tf.tensor1d(b.preference.reference, 'float32') } : {}),
  };
}

/**
 * Sum of per-term losses (cross-entropy; DPO's per-pair loss for preference pairs, with `dpo`'s
 * settings) and the number of correct argmax predictions, as scalars.
 */
export function lossSum(
  model: TrainableModel,
  t: BatchTensors,
  opts: ForwardOptions,
  dpo?: DpoSettings,
): LossTerms {
  const routing: RoutingSink | undefined = model.moe ? { attentionMask: t.attentionMask } : undefined;
  const terms = lossTerms(model, t, { ...opts, routing }, dpo);
  return routing?.auxLoss ? { ...terms, aux: routing.auxLoss } : terms;
}

function lossTerms(
  model: TrainableModel,
  t: BatchTensors,
  opts: ForwardOptions,
  dpo?: DpoSettings,
): LossTerms {
  if (t.lastIndex && t.labels) {
    const logits = model.classify(t.ids, t.lastIndex, opts);
    return softmaxCrossEntropy(logits, t.labels, tf.ones(t.labels.shape));
  }
  const logits = model.logits(t.ids, opts);
  if (!t.reference) return softmaxCrossEntropy(logits, t.targets!, t.mask!);
  if (!dpo) throw new Error('preference pairs need the DPO settings');
  const { logps, hits } = sequenceLogps(logits, t.targets!, t.mask!);
  const k = t.ids.shape[0] / 2;
  const { loss, ...preference } = dpoLoss(logps, t.reference, dpo);
  return { loss, correct: tf.sum(tf.slice(hits, 0, k)) as tf.Scalar, preference };
}

export function disposeTensors(t: BatchTensors): void {
  for (const x of [t.ids, t.targets, t.mask, t.attentionMask, t.lastIndex, t.labels, t.reference])
    x?.dispose();
}
