/**
 * The tensor building blocks both families share, composed of tfjs ops (the fused ops in ./ops fall
 * back to these). Shapes in comments: B batch, T sequence, H hidden, nh query heads, nkv key/value
 * heads, hd head dim.
 *
 * Matrix products use tf.matMul's transpose flags instead of explicit transposes: the native BLAS
 * kernels (runner/native) and TF's own kernels consume them without copying.
 */
import * as tf from '@tensorflow/tfjs';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * gelu_new (tanh approximation, HF "gelu_new"/"gelu_pytorch_tanh"). A custom gradient keeps only x
 * for the backward pass instead of the seven intermediates the composed ops would retain, which
 * matters because this runs on the widest activation of the block ([B, T, 4H]).
 */
export const geluTanh = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
  const input = x as tf.Tensor;
  (save as tf.GradSaveFunc)([input]);
  const inner = tf.mul(tf.add(input, tf.mul(tf.pow(input, 3), 0.044715)), SQRT_2_OVER_PI);
  const value = tf.mul(tf.mul(input, 0.5), tf.add(tf.tanh(inner), 1));
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [s] = saved;
      const x2 = tf.square(s);
      const t = tf.tanh(tf.mul(tf.mul(s, tf.add(tf.mul(x2, 0.044715), 1)), SQRT_2_OVER_PI));
      const dInner = tf.mul(tf.add(tf.mul(x2, 3 * 0.044715), 1), SQRT_2_OVER_PI);
      const local = tf.add(
        tf.mul(tf.add(t, 1), 0.5),
        tf.mul(tf.mul(tf.mul(s, 0.5), tf.sub(1, tf.square(t))), dInner),
      );
      return tf.mul(dy, local);
    },
  };
}) as (x: tf.Tensor) => tf.Tensor;

/** Exact (erf) GELU, HF "gelu". */
export function geluErf(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/**
 * Rows of `table` [n, d] at int32 `indices` [m] → [m, d]. Same value as tf.gather; the gradient is a
 * scatter-add (ScatterNd sums duplicate indices) instead of tf.gather's UnsortedSegmentSum, which the
 * pure-JS cpu backend computes with one masked pass over the whole input per row of the table
 * (O(vocab × tokens × hidden): minutes for a real vocabulary). Every backend implements ScatterNd natively.
 */
export const gatherRows = tf.customGrad(
  (
    table: tf.Tensor | tf.GradSaveFunc,
    indices: tf.Tensor | tf.GradSaveFunc,
    save: tf.Tensor | tf.GradSaveFunc,
  ) => {
    const t = table as tf.Tensor2D;
    (save as tf.GradSaveFunc)([indices as tf.Tensor]);
    return {
      value: tf.gather(t, indices as tf.Tensor1D),
      gradFunc: (dy: tf.Tensor, [idx]: tf.Tensor[]) => [
        tf.scatterND(tf.expandDims(idx, 1), dy, t.shape),
        tf.zerosLike(idx), // indices are integers: never differentiated, but customGrad wants one tensor per input
      ],
    };
  },
) as (table: tf.Tensor2D, indices: tf.Tensor1D) => tf.Tensor2D;

/**
 * Additive causal mask [T, T]: 0 on and below the diagonal, a large negative above. Built on the host
 * for each forward pass: slicing a [T, T] corner out of a cached [ctx, ctx] mask is a strided copy,
 * slow on the pure-JS backend, and caching one per length would grow without bound.
 */
export function causalMaskBias(seq: number): tf.Tensor2D {
  const data = new Float32Array(seq * seq);
  for (let i = 0; i < seq; i++) data.fill(-1e9, i * seq + i + 1, (i + 1) * seq);
  return tf.tensor2d(data, [seq, seq]);
}

/** Rotary tables cos/sin [ctx, hd/2] for the given inverse frequencies. */
export function ropeTables(context: number, invFreq: Float64Array): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const half = invFreq.length;
  const cos = new Float32Array(context * half);
  const sin = new Float32Array(context * half);
  for (let p = 0; p < context; p++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * Math.fround(invFreq[i]));
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos: tf.tensor2d(cos, [context, half]), sin: tf.tensor2d(sin, [context, half]) };
}

/**
 * HF "rotate_half" RoPE: within each head, dimension i pairs with i + hd/2 (halves, not interleaved
 * pairs), matching LlamaForCausalLM checkpoints. Takes the projection x [B, T, n*hd] and returns the
 * rotated halves [B, n, T, hd/2] each, with cos/sin [T, hd/2]. One transpose both splits the heads
 * and puts the halves outermost, so no strided slice is needed (the pure-JS cpu backend copies
 * strided slices element by element through index arrays, ~20x slower than a transpose).
 */
export function ropeHalves(
  x: tf.Tensor,
  batch: number,
  seq: number,
  n: number,
  headDim: number,
  cos: tf.Tensor2D,
  sin: tf.Tensor2D,
): [tf.Tensor4D, tf.Tensor4D] {
  const half = headDim / 2;
  const [x1, x2] = tf.unstack(
    tf.transpose(tf.reshape(x, [batch, seq, n, 2, half]), [3, 0, 2, 1, 4]),
  ) as tf.Tensor4D[];
  return [tf.sub(tf.mul(x1, cos), tf.mul(x2, sin)), tf.add(tf.mul(x2, cos), tf.mul(x1, sin))];
}

export interface AttentionShape {
  batch: number;
  seq: number;
  nHead: number;
  nKvHead: number;
  headDim: number;
}

/**
 * Causal scaled-dot-product attention with grouped-query support. Queries [B, nh, T, *] and keys
 * [B, nkv, T, *] come as matching lists of feature blocks whose dot products add up to q·k (RoPE
 * hands over its two rotated halves this way, so they are never re-joined); v is [B, nkv, T, hd];
 * the result is [B, T, nh*hd]. maskBias is [T, T] or, per head, [nh, T, T]. Query heads sharing a key/value head are folded into the row
 * dimension ([B, nkv, g*T, *]) so K and V are never repeated in memory and each product is one
 * batched matmul. Query head h uses key/value head floor(h / g), as HF's repeat_kv.
 */
export function causalAttention(
  q: tf.Tensor4D[],
  k: tf.Tensor4D[],
  v: tf.Tensor4D,
  maskBias: tf.Tensor,
  s: AttentionShape,
  dropProbs: (p: tf.Tensor) => tf.Tensor,
): tf.Tensor3D {
  const { batch: B, seq: T, nHead, nKvHead, headDim } = s;
  const groups = nHead / nKvHead;
  const scale = 1 / Math.sqrt(headDim);
  const fold = (x: tf.Tensor4D) => (groups === 1 ? x : tf.reshape(x, [B, nKvHead, groups * T, x.shape[3]]));
  let scores = q
    .map((qi, i) => tf.matMul(fold(tf.mul(qi, scale) as tf.Tensor4D), k[i], false, true)) // [B, nkv, g*T, T]
    .reduce((a, b) => tf.add(a, b));
  // A per-head bias [nh, T, T] (ALiBi) splits its heads the way the scores are folded.
  const bias = groups > 1 && maskBias.rank === 3 ? tf.reshape(maskBias, [nKvHead, groups, T, T]) : maskBias;
  scores = groups === 1 ? tf.add(scores, bias) : tf.add(tf.reshape(scores, [B, nKvHead, groups, T, T]), bias);
  const probs = dropProbs(tf.softmax(scores));
  const probsFolded = groups === 1 ? probs : tf.reshape(probs, [B, nKvHead, groups * T, T]);
  const out = tf.reshape(tf.matMul(probsFolded, v), [B, nHead, T, headDim]);
  return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [B, T, nHead * headDim]);
}

/** Fused projections x [B, T, parts*n*hd] → `parts` tensors [B, n, T, hd], with one transpose. */
export function splitFusedHeads(
  x: tf.Tensor,
  batch: number,
  seq: number,
  parts: number,
  n: number,
  headDim: number,
): tf.Tensor4D[] {
  return tf.unstack(
    tf.transpose(tf.reshape(x, [batch, seq, parts, n, headDim]), [2, 0, 3, 1, 4]),
  ) as tf.Tensor4D[];
}

/** x [B, T, n*hd] → [B, n, T, hd]. */
export function splitHeads(
  x: tf.Tensor,
  batch: number,
  seq: number,
  n: number,
  headDim: number,
): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [batch, seq, n, headDim]), [0, 2, 1, 3]);
}
