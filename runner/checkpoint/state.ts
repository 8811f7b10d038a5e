/** What a checkpoint holds, in memory, and the trainer's view of a checkpoint store. */
import type * as tf from '@tensorflow/tfjs';
import type { TrainerConfig } from '../config';
import type { PlateauState } from '../optim/schedule';
import type { EarlyStoppingState } from '../train/early-stopping';
import type { Cursor } from '../train/plan';

export interface ControlState {
  plateau?: PlateauState;
  earlyStopping?: EarlyStoppingState;
  /** Train loss summed since the last evaluation (reduce-on-plateau without validation data). */
  trainLossSinceEval: { sum: number; n: number };
  /** Training ended (early stop or last step): a restart must not train further. */
  finished: boolean;
}

/** DPO: each pair's reference log-probabilities, (chosen, rejected) per example, from the starting weights. */
export interface ReferenceLogps {
  train: Float32Array;
  validation?: Float32Array;
}

export interface TrainingState {
  /** The next step to run and where it reads. */
  cursor: Cursor;
  /** The base batch size in force (after `auto`). */
  batchSize: number;
  totalSteps: number;
  /** Seed of the run (sampling orders and dropout masks derive from it with the cursor). */
  seed: number;
  weights: Map<string, tf.Tensor>;
  optimizer: { tensors: Map<string, tf.Tensor>; steps: number };
  /** Early stopping with restore_best: the best weights so far. */
  bestWeights?: Map<string, tf.Tensor>;
  /** Preference data: the reference log-probabilities, so a resumed run keeps the run's reference. */
  reference?: ReferenceLogps;
  control: ControlState;
  config: TrainerConfig;
  /** The last metrics reported, for the checkpoint's record. */
  metrics: Record<string, number>;
}

export interface Checkpointer {
  /** The newest complete checkpoint (manifest present), or undefined. */
  latest(): Promise<TrainingState | undefined>;
  /** Saves, then prunes to the best k (the newest is always kept). `score`: lower is better. */
  save(state: TrainingState, score: number | undefined): Promise<{ id: string }>;
}
