/**
 * The keys and values of the positions decoded so far, per layer, for incremental decoding. Sized
 * to the request (rows × prompt + new tokens) when it is created and released by dispose().
 *
 * Two layouts, chosen by the backend: where it registers FUSED.CachedAttention (runner/native on
 * the cpu backend) every layer holds one preallocated [rows, kv heads, capacity, head dim] buffer
 * per keys and values that the kernel fills in place; elsewhere (WebGPU, tfjs-node) tensors hold
 * the positions so far and each step replaces them by a concatenation.
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED, hasKernel } from './ops';

export interface LayerKv {
  /** [rows, kv heads, capacity (in place) or length, head dim] */
  k: tf.Tensor4D;
  v: tf.Tensor4D;
}

export interface CacheShape {
  layers: number;
  kvHeads: number;
  headDim: number;
}

/** Bytes a cache of these sizes takes (float32 keys and values of every layer). */
export function kvCacheBytes(shape: CacheShape, rows: number, capacity: number): number {
  return 2 * shape.layers * rows * shape.kvHeads * capacity * shape.headDim * 4;
}

export class KvCache {
  readonly layers: LayerKv[];
  /** Positions filled so far (the next token's position). */
  length = 0;
  private disposed = false;

  private constructor(
    readonly shape: CacheShape,
    readonly rows: number,
    readonly capacity: number,
    /** Filled in place by the native kernel (else grown by concatenation). */
    readonly inPlace: boolean,
    layers: LayerKv[],
  ) {
    this.layers = layers;
  }

  static create(shape: CacheShape, rows: number, capacity: number): KvCache {
    const inPlace = hasKernel(FUSED.CachedAttention);
    const size = inPlace ? capacity : 0;
    const layers = Array.from({ length: shape.layers }, () => ({
      // Own arrays (not tf.zeros): the kernel writes into them, so no other tensor may share them.
      k: tf.tensor4d(new Float32Array(rows * shape.kvHeads * size * shape.headDim), [
        rows,
        shape.kvHeads,
        size,
        shape.headDim,
      ]),
      v: tf.tensor4d(new Float32Array(rows * shape.kvHeads * size * shape.headDim), [
        rows,
        shape.kvHeads,
        size,
        shape.headDim,
      ]),
    }));
    return new KvCache(shape, rows, capacity, inPlace, layers);
  }

  get bytes(): number {
    return kvCacheBytes(this.shape, this.rows, this.capacity);
  }

  /** Room for `t` more positions, or a clear error (the engine sizes caches so this never fires). */
  reserve(t: number): void {
    if (this.disposed) throw new Error('This KV cache was disposed.');
    if (this.length + t > this.capacity)
      throw new Error(`KV cache full: ${this.length} + ${t} positions exceed its capacity ${this.capacity}.`);
  }

  /**
   * A cache of `n` rows, each a copy of this one-row cache (n choices continuing one prompt that was
   * prefilled once). This cache is left as it was.
   */
  repeat(n: number): KvCache {
    if (this.rows !== 1) throw new Error('Only a one-row cache can be repeated.');
    const layers = this.layers.map(({ k, v }) => ({
      k: tf.tidy(() => this.copyRows(k, n)),
      v: tf.tidy(() => this.copyRows(v, n)),
    }));
    const out = new KvCache(this.shape, n, this.capacity, this.inPlace, layers);
    out.length = this.length;
    return out;
  }

  private copyRows(x: tf.Tensor4D, n: number): tf.Tensor4D {
    if (!this.inPlace) return tf.tile(x, [n, 1, 1, 1]);
    const src = x.dataSync() as Float32Array;
    const out = new Float32Array(src.length * n);
    for (let r = 0; r < n; r++) out.set(src, r * src.length);
    return tf.tensor4d(out, [n, x.shape[1], x.shape[2], x.shape[3]]);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const l of this.layers) {
      l.k.dispose();
      l.v.dispose();
    }
  }
}
