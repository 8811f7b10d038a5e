/**
 * What the generic model (model.ts) needs from an architecture family: its weights by HF name and
 * how to run the embedding, one block and the final norm. Families hold their constant tables
 * (rotary cos/sin) and release them in dispose().
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelDims } from './config';

export type WeightInit = { kind: 'normal'; std: number } | { kind: 'ones' } | { kind: 'zeros' };

export interface WeightSpec {
  name: string;
  shape: number[];
  init: WeightInit;
}

/** Dropout probabilities per site; all zero outside training. */
export interface DropoutRates {
  embedding: number;
  attention: number;
  residual: number;
}

export interface BlockContext {
  layer: number;
  batch: number;
  seq: number;
  /** Applies dropout at a named site of this layer with a seed fixed by (forward seed, layer, site). */
  drop: (x: tf.Tensor, site: string, rate: number) => tf.Tensor;
  rates: DropoutRates;
  /** A mixture-of-experts layer adds its router logits [B·T, E] here (for the load-balancing loss). */
  routerLogits?: tf.Tensor2D[];
}

/** Per-forward tensors a block reads but never differentiates, passed explicitly so checkpointing keeps them alive. */
export interface BlockConstants {
  /** Additive attention bias: causal mask [T, T] (with the window, if any), or [nh, T, T] with ALiBi. */
  mask: tf.Tensor;
}

export interface Family {
  readonly dims: ModelDims;
  /** Every trainable weight, block weights included, in a stable order. */
  readonly specs: WeightSpec[];
  /** Name of the [vocab, hidden] matrix the logits multiply with (wte/embed_tokens when tied). */
  readonly lmHeadName: string;
  /** Names of layer `i`'s weights in the order block() receives them. */
  blockWeightNames(layer: number): string[];
  /** Rates from the config, or one rate everywhere when the caller overrides it. */
  dropoutRates(override: number | undefined): DropoutRates;
  embed(ids: tf.Tensor2D, weight: (name: string) => tf.Tensor, ctx: Omit<BlockContext, 'layer'>): tf.Tensor3D;
  block(x: tf.Tensor3D, weights: tf.Tensor[], constants: BlockConstants, ctx: BlockContext): tf.Tensor3D;
  finalNorm(x: tf.Tensor3D, weight: (name: string) => tf.Tensor): tf.Tensor3D;
  /**
   * The attention bias block() receives as `mask` for sequences of `seq` (architecture.ts), or an
   * empty tensor when every block will run a fused kernel that needs none at this attention
   * dropout rate (a [T, T] bias is 64 MiB at 4,096 positions).
   */
  attentionBias(seq: number, attentionDropout: number): tf.Tensor;
  dispose(): void;
}
