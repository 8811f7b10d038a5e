// Output buffers for the native kernels, recycled: a training step allocates the same few hundred
// activation and gradient arrays every time, and a fresh Float32Array costs page faults and zeroing
// for each (hundreds of MB a step on a larger model) plus garbage the GC frees late, which inflates
// RSS. A buffer returns to the pool when the cpu backend drops the last tensor data that uses it
// (views of it included); a buffer whose values were ever read out (dataSync/data hand the array
// itself to the caller) is never reused. Only kernels that write every element use allocF32.
import type * as tf from '@tensorflow/tfjs';

interface Entry {
  values?: unknown;
}
interface DataStorage {
  set(dataId: object, value: Entry): void;
  get(dataId: object): Entry | undefined;
  has(dataId: object): boolean;
  delete(dataId: object): boolean;
}
interface CpuBackend {
  data: DataStorage;
  readSync(dataId: object): unknown;
}

interface Tracked {
  /** backend data entries whose values are this buffer or a view of it */
  refs: number;
  escaped: boolean;
}

const tracked = new WeakMap<ArrayBuffer, Tracked>();
const free = new Map<number, Float32Array[]>();
/** Pooled buffers, oldest first, for eviction beyond the byte cap. */
const order: Float32Array[] = [];
let pooledBytes = 0;
let capBytes = 1024 * 2 ** 20;
let installedOn: CpuBackend | undefined;
const stats = { allocated: 0, reused: 0 };

/** A zero-or-stale-filled array of n floats: the caller must write every element. */
export function allocF32(n: number): Float32Array {
  if (installedOn) {
    const list = free.get(n);
    const hit = list?.pop();
    if (hit) {
      order.splice(order.indexOf(hit), 1);
      pooledBytes -= hit.byteLength;
      stats.reused++;
      return hit;
    }
  }
  const a = new Float32Array(n);
  stats.allocated++;
  if (installedOn && n >= 1024) tracked.set(a.buffer as ArrayBuffer, { refs: 0, escaped: false });
  return a;
}

function release(a: Float32Array): void {
  let list = free.get(a.length);
  if (!list) free.set(a.length, (list = []));
  list.push(a);
  order.push(a);
  pooledBytes += a.byteLength;
  while (pooledBytes > capBytes && order.length > 0) {
    const old = order.shift()!;
    const l = free.get(old.length)!;
    l.splice(l.indexOf(old), 1);
    pooledBytes -= old.byteLength;
  }
}

function trackedOf(values: unknown): Tracked | undefined {
  return values instanceof Float32Array ? tracked.get(values.buffer as ArrayBuffer) : undefined;
}

/**
 * Hooks the cpu backend's data storage so buffers come back when their last user goes. Idempotent;
 * without it allocF32 simply allocates.
 */
export function installArena(backend: tf.KernelBackend, maxPooledBytes = capBytes): void {
  capBytes = maxPooledBytes;
  const b = backend as unknown as CpuBackend;
  if (installedOn === b) return;
  const data = b.data;
  const set = data.set.bind(data);
  const del = data.delete.bind(data);
  data.set = (dataId, value) => {
    if (data.has(dataId)) drop(data.get(dataId)); // move(): replaced in place
    const t = trackedOf(value.values);
    if (t) t.refs++;
    set(dataId, value);
  };
  data.delete = (dataId) => {
    if (data.has(dataId)) drop(data.get(dataId));
    return del(dataId);
  };
  const readSync = b.readSync.bind(b);
  b.readSync = (dataId) => {
    const t = data.has(dataId) ? trackedOf(data.get(dataId)?.values) : undefined;
    if (t) t.escaped = true;
    return readSync(dataId);
  };
  installedOn = b;
}

function drop(entry: Entry | undefined): void {
  const values = entry?.values;
  const t = trackedOf(values);
  if (!t) return;
  t.refs--;
  if (t.refs > 0 || t.escaped) return;
  const whole = values as Float32Array;
  // Release the whole buffer, as allocated (the entry may have been a view of it).
  release(
    whole.byteOffset === 0 && whole.byteLength === whole.buffer.byteLength
      ? whole
      : new Float32Array(whole.buffer),
  );
}

/** Gives back a scratch array that never became tensor data. */
export function recycleScratch(a: Float32Array): void {
  const t = tracked.get(a.buffer as ArrayBuffer);
  if (installedOn && t && t.refs === 0 && !t.escaped) release(a);
}

/** Pool figures, for tests and the bench. */
export function arenaStats(): { allocated: number; reused: number; pooledBytes: number } {
  return { ...stats, pooledBytes };
}

/** Forgets every pooled buffer (the GC frees them). */
export function trimArena(): void {
  free.clear();
  order.length = 0;
  pooledBytes = 0;
}
