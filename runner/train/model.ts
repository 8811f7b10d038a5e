/** What the trainer needs from a model: runner/model's DecoderModel satisfies it. */
import type * as tf from '@tensorflow/tfjs';
import type { RoutingSink } from '../model/model';
import type { Moe } from '../model/moe';

export interface ForwardOptions {
  training?: boolean;
  dropout?: number;
  checkpointing?: boolean;
  seed?: number;
  routing?: RoutingSink;
}

export interface TrainableModel {
  /** By Hugging Face name; every one is trained. */
  readonly weights: Map<string, tf.Variable>;
  /** A mixture-of-experts feed-forward: its forward pass reports the load-balancing loss. */
  readonly moe?: Moe;
  /** [b, s] int32 → [b, s, vocab]. */
  logits(ids: tf.Tensor2D, opts?: ForwardOptions): tf.Tensor3D;
  /** [b, s] int32 and each row's last real position → [b, num_labels]. */
  classify(ids: tf.Tensor2D, lastIndex: tf.Tensor1D, opts?: ForwardOptions): tf.Tensor2D;
}
