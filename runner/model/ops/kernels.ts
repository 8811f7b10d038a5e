/**
 * The fused kernels a backend may register to speed up training: whole sub-layers forward and
 * backward. The ops in this folder use them where the active backend has them (runner/native
 * registers them on tfjs's 'cpu' backend when the OpenBLAS addon is built) and fall back to
 * composed tfjs ops everywhere else, with the same results to float32 rounding.
 *
 * A backend implementing one forward kernel implements its gradient kernel too. Shapes: rows are
 * the flattened leading dimensions; every tensor is float32 unless marked int32.
 */
import * as tf from '@tensorflow/tfjs';

export const FUSED = {
  /** {x [..., c], gamma [c], beta [c]}, {eps} → [y like x, stats [rows, 2] (mean, rstd)] */
  LayerNorm: 'TuneplaneLayerNorm',
  /** {dy, x, gamma, stats} → [dx, dgamma, dbeta] */
  LayerNormGrad: 'TuneplaneLayerNormGrad',
  /** {x [..., c], weight [c]}, {eps} → [y like x, rstd [rows]] */
  RmsNorm: 'TuneplaneRmsNorm',
  /** {dy, x, weight, rstd} → [dx, dweight] */
  RmsNormGrad: 'TuneplaneRmsNormGrad',
  /**
   * {x [..., k], w [k, n] (or [n, k] with transposeW), bias? [n], residual? [..., n]},
   * {transposeW, activation} → [y = act(x·w + bias) + residual] and, when activation ≠ 'linear',
   * [y, pre = x·w + bias]
   */
  Dense: 'TuneplaneDense',
  /** {dy, x, w, pre?}, {transposeW, activation, hasBias} → [dx, dw] or [dx, dw, dbias] */
  DenseGrad: 'TuneplaneDenseGrad',
  /**
   * {qkv [b, t, (nh + 2·nkv)·hd]} (query heads, then key heads, then value heads),
   * {nHead, nKvHead, headDim, scale} → [out [b, t, nh·hd], probs [b, nh, t, t]] (causal)
   */
  CausalAttention: 'TuneplaneCausalAttention',
  /** {dout, qkv, probs}, same attrs → [dqkv] */
  CausalAttentionGrad: 'TuneplaneCausalAttentionGrad',
  /**
   * Memory-efficient exact attention: {qkv}, {nHead, nKvHead, headDim, scale, window (0: none),
   * slopes (ALiBi per head, or [])} → [out [b, t, nh·hd], lse [b, nh, t]] (each row's log-sum-exp
   * of its scores; no [t, t] tensor is formed)
   */
  TiledAttention: 'TuneplaneTiledAttention',
  /** {dout, qkv, out, lse}, same attrs → [dqkv] */
  TiledAttentionGrad: 'TuneplaneTiledAttentionGrad',
  /**
   * {qkv [b, t, (nh + 2·nkv)·hd], cos [>= t, hd/2], sin}, {nHead, nKvHead, headDim, inverse}
   * → [qkv with HF rotate_half RoPE on the query and key heads]; inverse rotates back (its gradient)
   */
  Rope: 'TuneplaneRope',
  /** {gate, up} → [silu(gate)·up] */
  SwiGlu: 'TuneplaneSwiGlu',
  /** {dy, gate, up} → [dgate, dup] */
  SwiGluGrad: 'TuneplaneSwiGluGrad',
  /**
   * {logits [rows, v], targets int32 [rows], mask [rows]} → [sums [2], lse [rows]]: sums[0] is the
   * loss Σ mask·(lse − logit[target]), sums[1] the hits Σ mask·[first argmax = target]; a target
   * outside [0, v) contributes nothing
   */
  SoftmaxCrossEntropy: 'TuneplaneSoftmaxCrossEntropy',
  /**
   * {dloss ([2]: only dloss[0], the loss's gradient, is read), logits, targets, mask, lse}
   * → [dlogits, dmask (each row's loss times dloss)]
   */
  SoftmaxCrossEntropyGrad: 'TuneplaneSoftmaxCrossEntropyGrad',
  /** {ids int32 [b, t], wte [v, h], wpe? [>= t, h]} → [wte[ids] + wpe[position] as [b, t, h]] */
  Embedding: 'TuneplaneEmbedding',
  /** {dy [b, t, h], ids}, {vocab, positions (0 without wpe)} → [dwte] or [dwte, dwpe] */
  EmbeddingGrad: 'TuneplaneEmbeddingGrad',
  /**
   * Inference only (no gradient): {q [b, t, ≥ nh·hd], k [b, t, ≥ nkv·hd], v, kCache, vCache
   * [b, nkv, capacity, hd], cos?, sin? [≥ position + t, hd/2]}, {nHead, nKvHead, headDim, scale,
   * position, qOffset, kOffset, vOffset} → [out [b, t, nh·hd]]: the t new positions (absolute
   * position…position+t-1) attend causally over the cache. The kernel WRITES the new keys (rotated
   * when cos/sin are given) and values into kCache and vCache at [position, position + t): the
   * caches are buffers the decoder owns (runner/model/kv-cache.ts), never shared tensors. q, k and v
   * may be one packed tensor read at different offsets within each row.
   */
  CachedAttention: 'TuneplaneCachedAttention',
} as const;

export type Activation = 'linear' | 'gelu_tanh' | 'gelu_erf' | 'relu' | 'silu';

/** Whether the active backend registers this fused kernel. */
export function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Runs a kernel through the engine (outside a tape it is just a kernel call). */
export function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: object = {}): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as
    tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}
