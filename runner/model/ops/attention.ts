/**
 * Causal self-attention on packed projections qkv [B, T, (nh + 2·nkv)·hd] (query heads, key
 * heads, value heads), and rotary embeddings on the same packed layout. Fused where the backend
 * has the kernels: no head split or merge copies, and the tape keeps qkv and the attention
 * probabilities only.
 */
import * as tf from '@tensorflow/tfjs';
import { type AttentionShape, causalAttention, splitFusedHeads, splitHeads } from '../layers';
import { fusedOp, memo } from './fused';
import { FUSED, hasKernel, runKernel } from './kernels';

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
    return fusedAttention({ nHead, nKvHead, headDim })(qkv) as tf.Tensor3D;
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
