/**
 * Causal self-attention on packed projections qkv [B, T, (nh + 2·nkv)·hd] (query heads, key
 * heads, value heads), and rotary embeddings on the same packed layout. Fused where the backend
 * has the kernels: no head split or merge copies, and the tape keeps qkv and the attention
 * probabilities only — or, with the memory-efficient kernel, qkv, the output and one log-sum-exp
 * per row (no [T, T] tensor at all).
 *
 * Which exact kernel runs (tiledAttentionChosen): the memory-efficient one when one head's scores,
 * T²·4 bytes, exceed TILED_HEAD_BYTES (T > 2,048), or one layer's saved probabilities, B·nh·T²·4
 * bytes, exceed TILED_LAYER_BYTES; the plain one otherwise. Memory is the only reason: on our CPU
 * kernels the tiled one was slower at every length measured (it recomputes the scores in the
 * backward pass and multiplies smaller blocks; npm run bench:architectures prints both).
 */
import * as tf from '@tensorflow/tfjs';
import { type AttentionShape, causalAttention, splitFusedHeads, splitHeads } from '../layers';
import { fusedOp, memo } from './fused';
import { FUSED, hasKernel, runKernel } from './kernels';

/** 'auto' follows the rule above; 'plain' and 'tiled' force one kernel (benchmarks and tests). */
export type ExactAttentionKernel = 'auto' | 'plain' | 'tiled';
let exactKernel: ExactAttentionKernel = 'auto';
export function setExactAttentionKernel(kernel: ExactAttentionKernel): void {
  exactKernel = kernel;
}

/** One head's [T, T] scores above this many bytes run the memory-efficient kernel. */
export const TILED_HEAD_BYTES = 16 * 2 ** 20;
/** One layer's saved probabilities [B, nh, T, T] above this many bytes run it too. */
export const TILED_LAYER_BYTES = 256 * 2 ** 20;

/** Whether full causal attention over [B, T] with nh query heads runs the memory-efficient kernel. */
export function tiledAttentionChosen(batch: number, seq: number, nHead: number): boolean {
  if (exactKernel !== 'auto') return exactKernel === 'tiled';
  const head = seq * seq * 4;
  return head > TILED_HEAD_BYTES || batch * nHead * head > TILED_LAYER_BYTES;
}

interface Heads {
  nHead: number;
  nKvHead: number;
  headDim: number;
}

const fusedAttention = memo((h: Heads) => {
  const attrs = { ...h, scale: 1 / Math.sqrt(h.headDim) };
  return fusedOp(
    ([qkv]) => {
      const [out, probs] = runKernel(FUSED.CausalAttention, { qkv }, attrs);
      return { value: out, save: [qkv, probs] };
    },
    (dout, [qkv, probs]) => runKernel(FUSED.CausalAttentionGrad, { dout, qkv, probs }, attrs),
  );
});

export interface TiledOptions {
  /** Keys each query sees, itself included; 0 for every earlier key. */
  window: number;
  /** ALiBi slope per query head, or [] for none. */
  slopes: number[];
}

const tiledAttention = memo((h: Heads & TiledOptions) => {
  const attrs = { ...h, scale: 1 / Math.sqrt(h.headDim) };
  return fusedOp(
    ([qkv]) => {
      const [out, lse] = runKernel(FUSED.TiledAttention, { qkv }, attrs);
      return { value: out, save: [qkv, out, lse] };
    },
    (dout, [qkv, out, lse]) => runKernel(FUSED.TiledAttentionGrad, { dout, qkv, out, lse }, attrs),
  );
});

/** Whether tiledSelfAttention can run for this dropout rate on the active backend (it drops nothing). */
export function tiledAttentionAvailable(dropoutRate: number): boolean {
  return dropoutRate === 0 && hasKernel(FUSED.TiledAttention);
}

/**
 * The memory-efficient exact kernel on packed qkv: causal softmax attention, optionally within a
 * sliding window and under ALiBi's bias. Needs tiledAttentionAvailable.
 */
export function tiledSelfAttention(qkv: tf.Tensor3D, h: Heads, opts: TiledOptions): tf.Tensor3D {
  return tiledAttention({ nHead: h.nHead, nKvHead: h.nKvHead, headDim: h.headDim, ...opts })(
    qkv,
  ) as tf.Tensor3D;
}

export interface AttentionOptions {
  /** Additive causal mask [T, T] for the composed path. */
  mask: tf.Tensor;
  /** Dropout on the attention probabilities; the fused kernel has none, so a rate > 0 composes ops. */
  dropoutRate: number;
  dropProbs: (p: tf.Tensor) => tf.Tensor;
}

/** Whether causalSelfAttention runs fused for these options on the active backend. */
export function fusedAttentionAvailable(dropoutRate: number): boolean {
  return dropoutRate === 0 && hasKernel(FUSED.CausalAttention);
}

/** softmax(q·kᵀ/√hd + causal mask)·v per head → [B, T, nh·hd]. */
export function causalSelfAttention(
  qkv: tf.Tensor3D,
  s: AttentionShape,
  opts: AttentionOptions,
): tf.Tensor3D {
  const { batch: B, seq: T, nHead, nKvHead, headDim } = s;
  if (fusedAttentionAvailable(opts.dropoutRate))
    return tiledAttentionChosen(B, T, nHead) && hasKernel(FUSED.TiledAttention)
      ? tiledSelfAttention(qkv, { nHead, nKvHead, headDim }, { window: 0, slopes: [] })
      : (fusedAttention({ nHead, nKvHead, headDim })(qkv) as tf.Tensor3D);
  if (nKvHead === nHead) {
    // one transpose splits all three (strided slices are slow on the pure-JS backend)
    const [q, k, v] = splitFusedHeads(qkv, B, T, 3, nHead, headDim);
    return causalAttention([q], [k], v, opts.mask, s, opts.dropProbs);
  }
  const [q, k, v] = tf.split(qkv, [nHead * headDim, nKvHead * headDim, nKvHead * headDim], 2);
  return causalAttention(
    [splitHeads(q, B, T, nHead, headDim)],
    [splitHeads(k, B, T, nKvHead, headDim)],
    splitHeads(v, B, T, nKvHead, headDim),
    opts.mask,
    s,
    opts.dropProbs,
  );
}

const fusedRope = memo((h: Heads) =>
  fusedOp(
    ([qkv, cos, sin]) => ({
      value: runKernel(FUSED.Rope, { qkv, cos, sin }, { ...h, inverse: false })[0],
      save: [cos, sin],
    }),
    (dy, [cos, sin]) => [runKernel(FUSED.Rope, { qkv: dy, cos, sin }, { ...h, inverse: true })[0]],
  ),
);

/** HF rotate_half RoPE on the query and key heads of packed qkv, positions 0..T-1; needs FUSED.Rope. */
export function ropePacked(qkv: tf.Tensor3D, cos: tf.Tensor2D, sin: tf.Tensor2D, h: Heads): tf.Tensor3D {
  return fusedRope(h)(qkv, cos, sin) as tf.Tensor3D;
}
