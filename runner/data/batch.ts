/**
 * Collation: examples → one padded batch of plain typed arrays (tensors are made inside the
 * trainer's tf.tidy). Padding goes on the right; a causal model's earlier positions never see it,
 * and the loss mask gives padded positions weight 0. A batch of k preference pairs has 2k rows:
 * the k preferred sequences, then the k others in the same order (TRL's concatenated forward).
 */
import type { Task } from '../config';
import type { Example } from './dataset';

export interface Batch {
  /** Rows × columns. */
  size: number;
  length: number;
  /** Model input, row-major [size, length]. */
  ids: Int32Array;
  /** LM: next-token targets aligned with `ids`. */
  targets: Int32Array;
  /** LM: 1 where the prediction counts. */
  mask: Float32Array;
  /** 1 for real input positions, 0 for padding (HF's attention_mask; a mixture of experts' load-balancing loss reads it). */
  attentionMask?: Float32Array;
  /** Classification: index of each row's last real token, and its class. */
  lastIndex?: Int32Array;
  labels?: Int32Array;
  /** Loss terms in the batch: masked tokens (LM), rows (classification) or pairs (preference). */
  count: number;
  /** Preference: the pairs' reference log-probabilities (rows' order), and the preferred answers' target tokens. */
  preference?: { reference: Float32Array; chosenTargets: number };
}

/**
 * `reference`: preference data only, the examples' reference log-probabilities as (chosen, rejected)
 * per example in `examples`' order; zeros when not given (measuring memory).
 */
export function collate(
  examples: Example[],
  task: Task,
  padId: number,
  reference?: ArrayLike<number>,
): Batch {
  if (task === 'preference') return collatePairs(examples, padId, reference);
  const size = examples.length;
  if (task === 'classification') {
    const length = Math.max(...examples.map((e) => e.ids.length));
    const ids = new Int32Array(size * length).fill(padId);
    const lastIndex = new Int32Array(size);
    const labels = new Int32Array(size);
    const attentionMask = new Float32Array(size * length);
    examples.forEach((e, r) => {
      ids.set(e.ids, r * length);
      attentionMask.fill(1, r * length, r * length + e.ids.length);
      lastIndex[r] = e.ids.length - 1;
      labels[r] = e.label ?? 0;
    });
    return {
      size,
      length,
      ids,
      targets: new Int32Array(0),
      mask: new Float32Array(0),
      lastIndex,
      labels,
      attentionMask,
      count: size,
    };
  }
  const length = Math.max(...examples.map((e) => e.ids.length)) - 1;
  const ids = new Int32Array(size * length).fill(padId);
  const targets = new Int32Array(size * length);
  const mask = new Float32Array(size * length);
  const attentionMask = new Float32Array(size * length);
  let count = 0;
  examples.forEach((e, r) => {
    const n = e.ids.length - 1;
    ids.set(e.ids.slice(0, n), r * length);
    attentionMask.fill(1, r * length, r * length + n);
    targets.set(e.ids.slice(1), r * length);
    for (let t = 0; t < n; t++) {
      mask[r * length + t] = e.target[t + 1];
      count += e.target[t + 1];
    }
  });
  return { size, length, ids, targets, mask, attentionMask, count };
}

function collatePairs(examples: Example[], padId: number, reference?: ArrayLike<number>): Batch {
  const k = examples.length;
  const rows = [
    ...examples.map((e) => ({ ids: e.ids, target: e.target, weight: e.weight })),
    ...examples.map((e) => {
      if (!e.rejected) throw new Error('a preference example without its rejected answer');
      return { ...e.rejected, weight: e.weight };
    }),
  ];
  const lm = collate(rows, 'chat', padId);
  const ref = new Float32Array(2 * k);
  for (let i = 0; i < k && reference; i++) {
    ref[i] = reference[2 * i];
    ref[k + i] = reference[2 * i + 1];
  }
  let chosenTargets = 0;
  for (let i = 0; i < k * lm.length; i++) chosenTargets += lm.mask[i];
  return { ...lm, count: k, preference: { reference: ref, chosenTargets } };
}
