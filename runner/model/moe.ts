/**
 * Mixture-of-experts feed-forward for the Llama family, Mixtral's (HF MixtralSparseMoeBlock): a
 * router (`block_sparse_moe.gate.weight` [E, H]) scores each token, softmax over the E experts,
 * the top k kept and renormalised to sum to one; each expert is a SwiGLU MLP
 * (`block_sparse_moe.experts.N.w1/w3` [ffn, H] gate and up, `w2` [H, ffn] down) and the token's
 * output is the weighted sum of its k experts' outputs.
 *
 * Capacity: dropless. Every token goes to its k experts however many others chose them; no
 * capacity factor, no dropped or re-routed tokens (what HF's Mixtral does too). On the cpu backend
 * the routing is read on the host and each expert runs only its own tokens (gathered, then
 * scattered back), so a step costs k of E experts per token; backends that cannot read tensors
 * synchronously (WebGPU) run every expert on every token and weight the unchosen ones by zero
 * (same values and gradients, E/k times the expert work).
 *
 * The load-balancing loss is HF's load_balancing_loss_func (Switch Transformer eq. 4–6 with top-k):
 * over the router logits of all layers concatenated, E · Σ_e f_e · P_e with f_e the fraction of
 * (token, layer) pairs whose top k include e and P_e the mean router probability of e, over the real
 * (unpadded) positions. Only P carries a gradient.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config';
import type { WeightSpec } from './family';
import { gatherRows } from './layers';
import { dense, swiGlu } from './ops';

export interface Moe {
  /** num_local_experts */
  experts: number;
  /** num_experts_per_tok */
  topK: number;
  /** router_aux_loss_coef */
  auxCoef: number;
  /** output_router_logits: whether the weighted aux loss is added to the training loss. */
  auxInLoss: boolean;
}

/** HF MixtralConfig's defaults for the keys a config leaves out (ours for output_router_logits: on). */
export const MOE_DEFAULTS = { num_experts_per_tok: 2, router_aux_loss_coef: 0.001 } as const;

/** The mixture-of-experts settings of a config, or undefined for a dense feed-forward. */
export function moeOf(config: ModelConfig): Moe | undefined {
  if (config.model_type !== 'llama' || config.num_local_experts == null) return undefined;
  return {
    experts: config.num_local_experts,
    topK: config.num_experts_per_tok ?? MOE_DEFAULTS.num_experts_per_tok,
    auxCoef: config.router_aux_loss_coef ?? MOE_DEFAULTS.router_aux_loss_coef,
    // HF adds the aux loss only when output_router_logits is true (its default is false); a config
    // that does not say is trained with it, since balancing the router is why one trains an MoE.
    auxInLoss: config.output_router_logits ?? true,
  };
}

/** Layer `i`'s feed-forward weights in the order moeFeedForward reads them: router, then w1, w2, w3 per expert. */
export function moeWeightNames(layer: number, moe: Moe): string[] {
  const p = `model.layers.${layer}.block_sparse_moe.`;
  const names = [`${p}gate.weight`];
  for (let e = 0; e < moe.experts; e++)
    names.push(`${p}experts.${e}.w1.weight`, `${p}experts.${e}.w2.weight`, `${p}experts.${e}.w3.weight`);
  return names;
}

export function moeSpecs(layer: number, moe: Moe, hidden: number, ffn: number, std: number): WeightSpec[] {
  const init = { kind: 'normal', std } as const;
  const [gate, ...experts] = moeWeightNames(layer, moe);
  return [
    { name: gate, shape: [moe.experts, hidden], init },
    ...experts.map((name, i) => ({ name, shape: i % 3 === 1 ? [hidden, ffn] : [ffn, hidden], init })),
  ];
}

/**
 * [N, E] probabilities → [N, E] with 1 where the expert is among the token's k most probable, else
 * 0. One custom op with a zero gradient: the choice is a selection, not a function to differentiate
 * (and tfjs has no gradient for TopK, so it must not appear on the tape).
 */
function topKMask(probs: tf.Tensor2D, k: number): tf.Tensor2D {
  const op = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc) => {
    const p = x as tf.Tensor2D;
    return {
      value: tf.sum(tf.oneHot(tf.topk(p, k).indices, p.shape[1], 1, 0, 'float32'), 1),
      gradFunc: () => tf.zerosLike(p),
    };
  }) as (x: tf.Tensor2D) => tf.Tensor2D;
  return op(probs);
}

/**
 * Rows `indices` of an [N, d] result receive `rows` [m, d] (duplicates add up); the gradient is
 * the gather of the output gradient at the same rows (tfjs has no gradient for ScatterNd).
 */
const scatterRows = tf.customGrad(
  (
    rows: tf.Tensor | tf.GradSaveFunc,
    indices: tf.Tensor | tf.GradSaveFunc,
    size: tf.Tensor | tf.GradSaveFunc,
    save: tf.Tensor | tf.GradSaveFunc,
  ) => {
    const r = rows as tf.Tensor2D;
    const idx = indices as tf.Tensor1D;
    (save as tf.GradSaveFunc)([idx]);
    const n = (size as tf.Tensor).shape[0];
    return {
      value: tf.scatterND(tf.expandDims(idx, 1), r, [n, r.shape[1]]),
      gradFunc: (dy: tf.Tensor, [i]: tf.Tensor[]) => [
        tf.gather(dy, i),
        tf.zerosLike(i),
        tf.zerosLike(size as tf.Tensor),
      ],
    };
  },
) as (rows: tf.Tensor2D, indices: tf.Tensor1D, size: tf.Tensor1D) => tf.Tensor2D;

function expert(x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, w3: tf.Tensor): tf.Tensor {
  return dense(swiGlu(dense(x, w1, true), dense(x, w3, true)), w2, true);
}

/** Whether the backend reads tensors synchronously, so the routing can pick each expert's tokens on the host. */
function hostRouting(): boolean {
  const backend = tf.getBackend();
  return backend === 'cpu' || backend === 'tensorflow';
}

/**
 * The feed-forward of one layer: x [B, T, H] (after post_attention_layernorm) and the layer's
 * weights (moeWeightNames' order) → the output [B, T, H] (no residual) and the router logits [B·T, E].
 * `dense` forces the all-experts path (tests compare the two).
 */
export function moeFeedForward(
  x: tf.Tensor3D,
  ws: tf.Tensor[],
  moe: Moe,
  opts: { dense?: boolean } = {},
): { out: tf.Tensor3D; routerLogits: tf.Tensor2D } {
  const [B, T, H] = x.shape;
  const N = B * T;
  const E = moe.experts;
  const [gate, ...expertWs] = ws;
  const flat = tf.reshape(x, [N, H]) as tf.Tensor2D;
  const routerLogits = tf.matMul(flat, gate, false, true) as tf.Tensor2D; // [N, E]
  const probs = tf.softmax(routerLogits) as tf.Tensor2D;
  const chosen = tf.mul(probs, topKMask(probs, moe.topK));
  const weights = tf.div(chosen, tf.sum(chosen, 1, true)) as tf.Tensor2D; // [N, E], k non-zero per row
  const w = (e: number, j: number) => expertWs[3 * e + j];

  let out: tf.Tensor2D;
  if (opts.dense || !hostRouting()) {
    const parts: tf.Tensor[] = [];
    for (let e = 0; e < E; e++)
      parts.push(tf.mul(expert(flat, w(e, 0), w(e, 1), w(e, 2)), tf.slice(weights, [0, e], [N, 1])));
    out = tf.addN(parts) as tf.Tensor2D;
  } else {
    // Each expert's tokens, in token order; the (token, expert) pairs go through experts in turn
    // and come back through one scatter that adds a token's k contributions.
    const top = tf.topk(probs, moe.topK).indices;
    const picked = top.dataSync();
    top.dispose();
    const byExpert: number[][] = Array.from({ length: E }, () => []);
    for (let i = 0; i < picked.length; i++) byExpert[picked[i]].push(Math.floor(i / moe.topK));
    const contributions: tf.Tensor[] = [];
    const rows: number[] = [];
    const weightIndex: number[] = [];
    for (let e = 0; e < E; e++) {
      const tokens = byExpert[e];
      if (tokens.length === 0) continue;
      const ids = tf.tensor1d(tokens, 'int32');
      contributions.push(expert(gatherRows(flat, ids), w(e, 0), w(e, 1), w(e, 2)));
      for (const t of tokens) {
        rows.push(t);
        weightIndex.push(t * E + e);
      }
    }
    const routed = tf.concat(contributions, 0) as tf.Tensor2D; // [N·k, H]
    const scale = gatherRows(
      tf.reshape(weights, [N * E, 1]) as tf.Tensor2D,
      tf.tensor1d(weightIndex, 'int32'),
    );
    out = scatterRows(tf.mul(routed, scale) as tf.Tensor2D, tf.tensor1d(rows, 'int32'), tf.zeros([N]));
  }
  return { out: tf.reshape(out, [B, T, H]) as tf.Tensor3D, routerLogits };
}

/**
 * HF's load_balancing_loss_func over every layer's router logits ([N, E] each, N = B·T) and, when
 * given, the padding mask [B, T] (1 for real positions): E · Σ_e f_e · P_e.
 */
export function loadBalancingLoss(
  routerLogits: tf.Tensor2D[],
  moe: Moe,
  attentionMask?: tf.Tensor2D,
): tf.Scalar {
  const all = tf.concat(routerLogits, 0) as tf.Tensor2D; // [L·N, E], layer-major as HF concatenates
  const probs = tf.softmax(all) as tf.Tensor2D;
  const chosen = topKMask(probs, moe.topK);
  let fraction: tf.Tensor;
  let meanProb: tf.Tensor;
  if (!attentionMask) {
    fraction = tf.mean(chosen, 0);
    meanProb = tf.mean(probs, 0);
  } else {
    const valid = tf.tile(tf.reshape(attentionMask, [-1, 1]), [routerLogits.length, 1]); // [L·N, 1]
    const count = tf.sum(valid);
    fraction = tf.div(tf.sum(tf.mul(chosen, valid), 0), count);
    meanProb = tf.div(tf.sum(tf.mul(probs, valid), 0), count);
  }
  return tf.mul(tf.sum(tf.mul(fraction, meanProb)), moe.experts) as tf.Scalar;
}
