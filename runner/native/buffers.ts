// Tensor storage the native optimizer may update in place. A variable's values are written in
// place only when this module allocated them and no other tensor shares them (refCount 1);
// otherwise they are copied first (copy-on-write), so clones taken for checkpoints or for the
// best weights keep their values, and arrays handed in by a caller are never modified.
import * as tf from '@tensorflow/tfjs';

interface CpuData {
  values?: unknown;
  refCount?: number;
}
interface CpuBackendData {
  data: { get(dataId: object): CpuData | undefined };
}

const owned = new WeakSet<Float32Array>();

function entryOf(t: tf.Tensor): CpuData | undefined {
  if (tf.getBackend() !== 'cpu' || t.dtype !== 'float32') return undefined;
  return (tf.backend() as unknown as CpuBackendData).data.get(t.dataId);
}

/** A float32 tensor's values on the cpu backend (read-only use), or null elsewhere. */
export function readValues(t: tf.Tensor): Float32Array | null {
  const v = entryOf(t)?.values;
  return v instanceof Float32Array ? v : null;
}

/** A zero-filled variable whose storage writableValues() may update in place from the start. */
export function ownedVariable(shape: number[]): tf.Variable {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  owned.add(values);
  const t = tf.tensor(values, shape, 'float32');
  const v = tf.variable(t, false);
  t.dispose();
  return v;
}

/** The variable's values as an array only it uses, to update in place; null off the cpu backend. */
export function writableValues(v: tf.Variable): Float32Array | null {
  const entry = entryOf(v);
  if (!entry || !(entry.values instanceof Float32Array)) return null;
  if (entry.refCount === 1 && owned.has(entry.values)) return entry.values;
  const copy = new Float32Array(entry.values);
  owned.add(copy);
  const t = tf.tensor(copy, v.shape, 'float32');
  v.assign(t);
  t.dispose();
  return copy;
}
