/**
 * Attention of new positions over a key/value cache (incremental decoding): one native kernel that
 * extends the cache in place where the backend registers FUSED.CachedAttention, else composed tfjs
 * ops that concatenate the cache and compute the same thing.
 */
import * as tf from '@tensorflow/tfjs';
import type { KvCache, LayerKv } from '../kv-cache';
import { ropeHalves } from '../layers';
import { FUSED, runKernel } from './kernels';

export interface Heads {
  nHead: number;
  nKvHead: number;
  headDim: number;
}

/** Projections of the new positions: q/k/v [b, t, features], read from `offset` within each row (packed qkv). */
export interface NewPositions {
  q: tf.Tensor3D;
  k: tf.Tensor3D;
  v: tf.Tensor3D;
  qOffset?: number;
  kOffset?: number;
  vOffset?: number;
}

/** Rotary tables cos/sin [context, hd/2], indexed by absolute position. */
export interface Rotary {
  cos: tf.Tensor2D;
  sin: tf.Tensor2D;
}

/**
 * The t new positions (absolute cache.length … cache.length + t - 1) attend causally over the
 * cache's positions and themselves → [b, t, nh·hd]. Stores their keys and values in `layer`; the
 * caller advances cache.length once every layer has run.
 */
export function cachedAttention(
  x: NewPositions,
  layer: LayerKv,
  cache: KvCache,
  heads: Heads,
  rotary?: Rotary,
): tf.Tensor3D {
  const scale = 1 / Math.sqrt(heads.headDim);
  const position = cache.length;
  if (cache.inPlace) {
    const inputs: tf.NamedTensorMap = { q: x.q, k: x.k, v: x.v, kCache: layer.k, vCache: layer.v };
    if (rotary) Object.assign(inputs, rotary);
    return runKernel(FUSED.CachedAttention, inputs, {
      ...heads,
      scale,
      position,
      qOffset: x.qOffset ?? 0,
      kOffset: x.kOffset ?? 0,
      vOffset: x.vOffset ?? 0,
    })[0] as tf.Tensor3D;
  }
  return composed(x, layer, heads, position, scale, rotary);
}

function composed(
  x: NewPositions,
  layer: LayerKv,
  { nHead, nKvHead, headDim }: Heads,
  position: number,
  scale: number,
  rotary?: Rotary,
): tf.Tensor3D {
  const [B, T] = x.q.shape;
  const half = headDim / 2;
  const take = (t: tf.Tensor3D, offset: number | undefined, n: number) =>
    t.shape[2] === n * headDim && !offset ? t : tf.slice(t, [0, 0, offset ?? 0], [B, T, n * headDim]);
  const heads = (t: tf.Tensor, n: number) =>
    tf.transpose(tf.reshape(t, [B, T, n, headDim]), [0, 2, 1, 3]) as tf.Tensor4D;
  const rotate = (t: tf.Tensor, n: number): tf.Tensor4D => {
    if (!rotary) return heads(t, n);
    const c = tf.slice(rotary.cos, [position, 0], [T, half]);
    const s = tf.slice(rotary.sin, [position, 0], [T, half]);
    return tf.concat(ropeHalves(t, B, T, n, headDim, c, s), 3) as tf.Tensor4D;
  };
  const q = rotate(take(x.q, x.qOffset, nHead), nHead);
  const kNew = rotate(take(x.k, x.kOffset, nKvHead), nKvHead);
  const vNew = heads(take(x.v, x.vOffset, nKvHead), nKvHead);
  const grow = (old: tf.Tensor4D, add: tf.Tensor4D) =>
    tf.keep(old.shape[2] === 0 ? tf.clone(add) : (tf.concat([old, add], 2) as tf.Tensor4D));
  const k = grow(layer.k, kNew);
  const v = grow(layer.v, vNew);
  layer.k.dispose();
  layer.v.dispose();
  layer.k = k;
  layer.v = v;

  const L = position + T;
  const groups = nHead / nKvHead;
  // Query i (absolute position + i) sees keys 0..position + i.
  const maskData = new Float32Array(T * L);
  for (let i = 0; i < T; i++) maskData.fill(-1e9, i * L + position + i + 1, (i + 1) * L);
  const mask = tf.tensor2d(maskData, [T, L]);
  const folded = tf.reshape(tf.mul(q, scale), [B, nKvHead, groups * T, headDim]);
  const scores = tf.add(tf.reshape(tf.matMul(folded, k, false, true), [B, nKvHead, groups, T, L]), mask);
  const probs = tf.reshape(tf.softmax(scores), [B, nKvHead, groups * T, L]);
  const out = tf.reshape(tf.matMul(probs, v), [B, nHead, T, headDim]);
  return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [B, T, nHead * headDim]) as tf.Tensor3D;
}
