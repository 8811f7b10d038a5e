/**
 * Collation: examples → one padded batch of plain typed arrays (tensors are made inside the
 * trainer's tf.tidy). Padding goes on the right; a causal model's earlier positions never see it,
 * and the loss mask gives padded positions weight 0.
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
  /** Classification: index of each row's last real token, and its class. */
  lastIndex?: Int32Array;
  labels?: Int32Array;
  /** Loss terms in the batch: masked tokens (LM) or rows (classification). */
  count: number;
}

export function collate(examples: Example[], task: Task, padId: number): Batch {
  const size = examples.length;
  if (task === 'classification') {
    const length = Math.max(...examples.map((e) => e.ids.length));
    const ids = new Int32Array(size * length).fill(padId);
    const lastIndex = new Int32Array(size);
    const labels = new Int32Array(size);
    examples.forEach((e, r) => {
      ids.set(e.ids, r * length);
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
      count: size,
    };
  }
  const length = Math.max(...examples.map((e) => e.ids.length)) - 1;
  const ids = new Int32Array(size * length).fill(padId);
  const targets = new Int32Array(size * length);
  const mask = new Float32Array(size * length);
  let count = 0;
  examples.forEach((e, r) => {
    const n = e.ids.length - 1;
    ids.set(e.ids.slice(0, n), r * length);
    targets.set(e.ids.slice(1), r * length);
    for (let t = 0; t < n; t++) {
      mask[r * length + t] = e.target[t + 1];
      count += e.target[t + 1];
    }
  });
  return { size, length, ids, targets, mask, count };
}
