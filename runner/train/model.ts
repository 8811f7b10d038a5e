/** What the trainer needs from a model: runner/model's DecoderModel satisfies it. */
import type * as tf from '@tensorflow/tfjs';

export interface ForwardOptions {
  training?: boolean;
  dropout?: number;
  checkpointing?: boolean;
  seed?: number;
}

export interface TrainableModel {
  /** By Hugging Face name; every one is trained. */
  readonly weights: Map<string, tf.Variable>;
  /** [b, s] int32 → [b, s, vocab]. */
  logits(ids: tf.Tensor2D, opts?: ForwardOptions): tf.Tensor3D;
  /** [b, s] int32 and each row's last real position → [b, num_labels]. */
  classify(ids: tf.Tensor2D, lastIndex: tf.Tensor1D, opts?: ForwardOptions): tf.Tensor2D;
}
