/**
 * Attention for every architecture other than a family's default (architecture.ts): softmax
 * attention with a sliding window and/or ALiBi's bias, and causal linear attention. Inputs are the
 * projections q [B, T, nh·hd], k and v [B, T, nkv·hd]; the output is [B, T, nh·hd]. Query head h
 * reads key/value head floor(h / g), g = nh / nkv, as HF's repeat_kv.
 *
 * Softmax attention runs on the memory-efficient native kernel where the backend has it and no
 * attention dropout applies (window and bias inside the kernel, tiles outside the window skipped:
 * a window bounds time and memory); otherwise it is composed of tfjs ops under an additive bias
 * [T, T] or [nh, T, T]. Linear attention is always composed.
 */
import * as tf from '@tensorflow/tfjs';
import { alibiSlopes, type Architecture } from './architecture';
import { type AttentionShape, causalAttention, ropeHalves, splitHeads } from './layers';
import { FUSED, hasKernel } from './ops/kernels';
import { ropePacked, tiledAttentionAvailable, tiledSelfAttention } from './ops/attention';

export interface VariantOptions {
  arch: Architecture;
  /** attentionBias(arch, T, nh): [T, T] or [nh, T, T] */
  bias: tf.Tensor;
  /** Rotary tables [>= T, hd/2], when the position embedding is RoPE. */
  rope?: { cos: tf.Tensor2D; sin: tf.Tensor2D };
  dropProbs: (p: tf.Tensor) => tf.Tensor;
  /** Attention dropout rate (dropProbs's); the native kernel runs only at 0. */
  dropoutRate: number;
}

/** Whether softmax attention of this architecture runs on the native kernel (rope needs FUSED.Rope too). */
function nativeVariant(arch: Architecture, dropoutRate: number): boolean {
  return tiledAttentionAvailable(dropoutRate) && (arch.position !== 'rope' || hasKernel(FUSED.Rope));
}

/** Whether variantAttention reads the additive bias (the composed softmax path only). */
export function variantReadsBias(arch: Architecture, dropoutRate: number): boolean {
  return arch.attention !== 'linear' && !nativeVariant(arch, dropoutRate);
}

export function variantAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  s: AttentionShape,
  opts: VariantOptions,
): tf.Tensor3D {
  const { batch: B, seq: T, nHead, nKvHead, headDim } = s;
  if (opts.arch.attention !== 'linear' && nativeVariant(opts.arch, opts.dropoutRate)) {
    const heads = { nHead, nKvHead, headDim };
    let qkv = tf.concat([q, k, v], 2) as tf.Tensor3D;
    if (opts.rope) qkv = ropePacked(qkv, opts.rope.cos, opts.rope.sin, heads);
    return tiledSelfAttention(qkv, heads, {
      window: opts.arch.window ?? 0,
      slopes: opts.arch.position === 'alibi' ? Array.from(alibiSlopes(nHead)) : [],
    });
  }
  let qs: tf.Tensor4D[];
  let ks: tf.Tensor4D[];
  if (opts.rope) {
    const c = tf.slice(opts.rope.cos, [0, 0], [T, headDim / 2]) as tf.Tensor2D;
    const sn = tf.slice(opts.rope.sin, [0, 0], [T, headDim / 2]) as tf.Tensor2D;
    qs = ropeHalves(q, B, T, nHead, headDim, c, sn);
    ks = ropeHalves(k, B, T, nKvHead, headDim, c, sn);
  } else {
    qs = [splitHeads(q, B, T, nHead, headDim)];
    ks = [splitHeads(k, B, T, nKvHead, headDim)];
  }
  const vh = splitHeads(v, B, T, nKvHead, headDim);
  if (opts.arch.attention === 'linear') {
    const join = (parts: tf.Tensor4D[]) =>
      parts.length === 1 ? parts[0] : (tf.concat(parts, 3) as tf.Tensor4D);
    return linearAttention(join(qs), join(ks), vh, s);
  }
  return causalAttention(qs, ks, vh, opts.bias, s, opts.dropProbs);
}

/** Keeps the denominator away from zero, as in the reference implementation (fast-transformers). */
const LINEAR_EPS = 1e-6;
/** Positions per chunk: within a chunk the C×C products are formed, across chunks only running sums. */
const CHUNK = 64;

/** elu(x) + 1: the positive feature map of Katharopoulos et al., "Transformers are RNNs" (2020). */
function featureMap(x: tf.Tensor): tf.Tensor {
  return tf.add(tf.elu(x), 1);
}

/**
 * Causal linear attention: out_i = φ(q_i)·S_i / (φ(q_i)·z_i + ε), with S_i = Σ_{j≤i} φ(k_j) v_jᵀ and
 * z_i = Σ_{j≤i} φ(k_j). Computed by chunks of C positions: inside a chunk the masked C×C products,
 * across chunks the running sums (an exclusive sum over earlier chunks of each chunk's kᵀv), so memory grows
 * as T·(C + hd²/C) rather than T², and time linearly in T. q [B, nh, T, d], k [B, nkv, T, d],
 * v [B, nkv, T, hd] → [B, T, nh·hd]. No attention probabilities exist, so attention dropout does
 * not apply.
 */
export function linearAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  s: AttentionShape,
): tf.Tensor3D {
  const { batch: B, seq: T, nHead, nKvHead, headDim: hd } = s;
  const g = nHead / nKvHead;
  const d = q.shape[3];
  const C = Math.min(CHUNK, T);
  const nC = Math.ceil(T / C);
  const Tp = nC * C;
  // Padding at the end only: causality keeps padded keys out of every real position's sums.
  const pad = (x: tf.Tensor4D) =>
    Tp === T
      ? x
      : (tf.pad(x, [
          [0, 0],
          [0, 0],
          [0, Tp - T],
          [0, 0],
        ]) as tf.Tensor4D);
  const R = B * nKvHead;
  const qf = tf.reshape(tf.transpose(tf.reshape(featureMap(pad(q)), [R, g, nC, C, d]), [0, 2, 1, 3, 4]), [
    R * nC,
    g * C,
    d,
  ]) as tf.Tensor3D;
  const kf = tf.reshape(featureMap(pad(k)), [R * nC, C, d]) as tf.Tensor3D;
  const vc = tf.reshape(pad(v), [R * nC, C, hd]) as tf.Tensor3D;

  const intra = tf.mul(tf.matMul(qf, kf, false, true), chunkMask(g, C)); // [R·nC, g·C, C]
  const states = tf.reshape(earlierChunks(tf.reshape(tf.matMul(kf, vc, true, false), [R, nC, d * hd])), [
    R * nC,
    d,
    hd,
  ]) as tf.Tensor3D;
  const sums = tf.reshape(earlierChunks(tf.reshape(tf.sum(kf, 1), [R, nC, d])), [
    R * nC,
    d,
    1,
  ]) as tf.Tensor3D;
  const num = tf.add(tf.matMul(intra, vc), tf.matMul(qf, states));
  const den = tf.add(tf.add(tf.sum(intra, 2, true), tf.matMul(qf, sums)), LINEAR_EPS);
  const out = tf.transpose(tf.reshape(tf.div(num, den), [B, nKvHead, nC, g, C, hd]), [0, 2, 4, 1, 3, 5]);
  const flat = tf.reshape(out, [B, Tp, nHead * hd]);
  return (Tp === T ? flat : tf.slice(flat, [0, 0, 0], [B, T, nHead * hd])) as tf.Tensor3D;
}

/**
 * Exclusive running sum over chunks: x [R, nC, m] → y[:, c] = Σ_{c' < c} x[:, c'], as one matrix
 * product with a strictly triangular [nC, nC] matrix (tf.cumsum's gradient mis-shapes a non-last
 * axis in tfjs 4, and the product runs on the BLAS kernels).
 */
function earlierChunks(x: tf.Tensor): tf.Tensor {
  const [R, nC, m] = x.shape;
  const e = new Float32Array(nC * nC);
  for (let from = 0; from < nC; from++) e.fill(1, from * nC + from + 1, (from + 1) * nC);
  const rows = tf.reshape(tf.transpose(x, [0, 2, 1]), [R * m, nC]);
  return tf.transpose(tf.reshape(tf.matMul(rows, tf.tensor2d(e, [nC, nC])), [R, m, nC]), [0, 2, 1]);
}

/** 1 where a query row (g stacked copies of C positions) may see a key of the same chunk: key ≤ query. */
function chunkMask(g: number, C: number): tf.Tensor2D {
  const m = new Float32Array(g * C * C);
  for (let r = 0; r < g * C; r++) m.fill(1, r * C, r * C + (r % C) + 1);
  return tf.tensor2d(m, [g * C, C]);
}
