/**
 * Direct Preference Optimization (Rafailov et al. 2023) with the sigmoid loss as TRL's DPOTrainer
 * defines it, optionally label-smoothed (conservative DPO):
 *
 *   log π(y|x)  = Σ log p(token) over the answer's tokens only (prompt and padding excluded)
 *   r           = β · (log πθ(y|x) − log πref(y|x))            the implicit reward of an answer
 *   loss(pair)  = −(1 − ε) · log σ(r_chosen − r_rejected) − ε · log σ(r_rejected − r_chosen)
 *
 * The reference log-probabilities are numbers computed once, before training, from the weights
 * training starts from (Trainer.referenceLogps), so no second model is ever held in memory. The
 * per-sequence log-probabilities come from the same softmax cross-entropy op the supervised loss
 * uses (runner/model/ops: the fused kernel where the backend has one), one row at a time.
 *
 * Reported like TRL's rewards/chosen, rewards/rejected, rewards/margins and rewards/accuracies
 * (accuracy: the chosen reward strictly higher), as sums here and means in the metrics.
 */
import * as tf from '@tensorflow/tfjs';
import type { DpoSettings } from '../../openapi/schemas/dpo';
import { collate } from '../data/batch';
import type { Dataset } from '../data/dataset';
import { exampleRange } from '../data/examples';
import { softmaxCrossEntropy } from '../model/ops';
import { disposeTensors, toTensors } from './loss';
import type { TrainableModel } from './model';

/** Sums over a batch's pairs; divided by the pair count they are the reported means. */
export type PreferenceTerms = {
  /** Σ β·(log πθ − log πref) of the preferred answers. */
  chosenRewards: tf.Scalar;
  /** Σ β·(log πθ − log πref) of the other answers. */
  rejectedRewards: tf.Scalar;
  /** Pairs whose preferred answer has the strictly higher reward. */
  wins: tf.Scalar;
};

/**
 * logits [rows, t, v], targets and mask [rows, t] → each row's Σ mask·log p(target) and its
 * mask-weighted count of argmax hits, both [rows].
 */
export function sequenceLogps(
  logits: tf.Tensor3D,
  targets: tf.Tensor2D,
  mask: tf.Tensor2D,
): { logps: tf.Tensor1D; hits: tf.Tensor1D } {
  const rows = tf.unstack(logits);
  const rowTargets = tf.unstack(targets);
  const rowMask = tf.unstack(mask);
  const nll: tf.Scalar[] = [];
  const hits: tf.Scalar[] = [];
  rows.forEach((row, i) => {
    const r = softmaxCrossEntropy(row, rowTargets[i], rowMask[i]);
    nll.push(r.loss);
    hits.push(r.correct);
  });
  return { logps: tf.neg(tf.stack(nll)) as tf.Tensor1D, hits: tf.stack(hits) as tf.Tensor1D };
}

/**
 * log σ(x) = −softplus(−x), from kernels whose gradients save their inputs. tf.logSigmoid's custom
 * gradient reads its input from a closure, which the forward pass's tidy has disposed by then.
 */
function logSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.neg(tf.softplus(tf.neg(x)));
}

/**
 * The summed DPO loss of k pairs from the 2k rows' log-probabilities (k preferred, then k others)
 * and their reference values in the same order.
 */
export function dpoLoss(
  logps: tf.Tensor1D,
  reference: tf.Tensor1D,
  s: DpoSettings,
): { loss: tf.Scalar } & PreferenceTerms {
  const [policyChosen, policyRejected] = tf.split(logps, 2);
  const [refChosen, refRejected] = tf.split(reference, 2);
  const chosen = tf.mul(s.beta, tf.sub(policyChosen, refChosen));
  const rejected = tf.mul(s.beta, tf.sub(policyRejected, refRejected));
  const margin = tf.sub(chosen, rejected);
  const eps = s.label_smoothing;
  const perPair =
    eps > 0
      ? tf.sub(tf.mul(-(1 - eps), logSigmoid(margin)), tf.mul(eps, logSigmoid(tf.neg(margin))))
      : tf.neg(logSigmoid(margin));
  return {
    loss: tf.sum(perPair) as tf.Scalar,
    chosenRewards: tf.sum(chosen) as tf.Scalar,
    rejectedRewards: tf.sum(rejected) as tf.Scalar,
    wins: tf.sum(tf.cast(tf.greater(chosen, rejected), 'float32')) as tf.Scalar,
  };
}

/**
 * Each pair's log-probabilities under `model` as it is, (chosen, rejected) per example, without
 * dropout, in batches of `batchSize` pairs. Before training these are DPO's reference.
 */
export async function pairLogps(
  model: TrainableModel,
  ds: Dataset,
  padId: number,
  batchSize: number,
): Promise<Float32Array> {
  const out = new Float32Array(2 * ds.examples.length);
  for (let start = 0; start < ds.examples.length; start += batchSize) {
    const part = exampleRange(ds.examples, start, start + batchSize);
    const t = toTensors(collate(part, 'preference', padId));
    const logps = tf.tidy(
      () => sequenceLogps(model.logits(t.ids, { training: false }), t.targets!, t.mask!).logps,
    );
    disposeTensors(t);
    const v = await logps.data();
    logps.dispose();
    for (let i = 0; i < part.length; i++) {
      out[2 * (start + i)] = v[i];
      out[2 * (start + i) + 1] = v[part.length + i];
    }
  }
  return out;
}
