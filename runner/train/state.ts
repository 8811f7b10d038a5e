/**
 * Where a run stands, in one object the loop's parts (train/loop.ts) read and change: the cursor
 * (step, epoch, position in the epoch's sampling order), the schedule, reduce-on-plateau's rate and
 * patience, early stopping's best metric and patience, the best weights, the last report. A
 * checkpoint is a snapshot of it (plus weights and optimizer slots); a resumed run rebuilds it
 * from one, which is why a resumed run continues exactly where the interrupted one stopped.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ControlState, ReferenceLogps, TrainingState } from '../checkpoint/state';
import { peakLearningRate, type TrainerConfig } from '../config';
import { PlateauController, type ScheduleSettings } from '../optim/schedule';
import type { Optimizer } from '../optim/optimizers';
import { EarlyStopping, higherIsBetter } from './early-stopping';
import { totalSteps, type Cursor } from './plan';
import type { MetricsReport } from './sink';

export type RunStatus = 'completed' | 'early_stopped' | 'interrupted';

export interface LoopState {
  /** The next step to run and where it reads. */
  cursor: Cursor;
  /** The base batch size in force (after `auto`). */
  batchSize: number;
  totalSteps: number;
  /** The learning-rate schedule, fixed once the total step count is known. */
  schedule: ScheduleSettings;
  /** Reduce-on-plateau: the current rate, the best monitored value, evaluations without improvement. */
  plateau: PlateauController;
  /** Early stopping (when configured): the best metric, its step, evaluations without improvement. */
  early?: EarlyStopping;
  /** Early stopping with restore_best: a copy of the best weights so far. */
  bestWeights?: Map<string, tf.Tensor>;
  /** Train loss summed since the last evaluation (reduce-on-plateau without validation data). */
  trainLossSinceEval: { sum: number; n: number };
  /** Training ended (last step or early stop): a restart must not train further. */
  finished: boolean;
  status: RunStatus;
  /** The last metrics reported (a checkpoint's record and score). */
  last?: MetricsReport;
  /** Tokens trained since the last report and when that window began (throughput). */
  window: { tokens: number; startedAt: number };
  /** The step a resumed run started from. */
  resumedFrom?: number;
}

/** Where a run starts: from nothing, or from a checkpoint's cursor, batch size and control state. */
export interface StartingPoint {
  cursor: Cursor;
  batchSize: number;
  control?: ControlState;
  bestWeights?: Map<string, tf.Tensor>;
  resumed: boolean;
}

/** The state at the first step to run; `examples` is the training set's size (the plan's unit). */
export function loopState(
  config: TrainerConfig,
  start: StartingPoint,
  examples: number,
  startedAt: number,
): LoopState {
  const h = config.hyperparameters;
  // max_steps cuts the run short, and the schedules span what is actually trained
  const total = Math.min(totalSteps(examples, h.n_epochs, start.batchSize, h), h.max_steps ?? Infinity);
  const warmupSteps =
    config.warmupRatio !== undefined ? Math.floor(config.warmupRatio * total) : h.warmup_steps;
  const schedule: ScheduleSettings = {
    peak: peakLearningRate(h),
    scheduler: h.lr_scheduler,
    warmupSteps,
    warmupType: h.warmup_type,
    totalSteps: total,
  };
  const plateau = new PlateauController(h.reduce_on_plateau, schedule.peak);
  if (start.control?.plateau) plateau.state = start.control.plateau;
  const early = h.early_stopping ? new EarlyStopping(h.early_stopping) : undefined;
  if (early && start.control?.earlyStopping) early.state = start.control.earlyStopping;
  return {
    cursor: start.cursor,
    batchSize: start.batchSize,
    totalSteps: total,
    schedule,
    plateau,
    early,
    bestWeights: start.bestWeights,
    trainLossSinceEval: start.control?.trainLossSinceEval ?? { sum: 0, n: 0 },
    finished: start.control?.finished ?? false,
    status: 'completed',
    window: { tokens: 0, startedAt },
    resumedFrom: start.resumed ? start.cursor.step : undefined,
  };
}

/** What a checkpoint saves of the state. The caller disposes the optimizer slot copies. */
export function snapshot(
  s: LoopState,
  weights: Map<string, tf.Tensor>,
  optimizer: Optimizer,
  config: TrainerConfig,
  reference?: ReferenceLogps,
): TrainingState {
  return {
    ...(reference ? { reference } : {}),
    cursor: { ...s.cursor },
    batchSize: s.batchSize,
    totalSteps: s.totalSteps,
    seed: config.hyperparameters.seed,
    weights,
    optimizer: optimizer.state(),
    bestWeights: s.bestWeights,
    control: {
      trainLossSinceEval: s.trainLossSinceEval,
      finished: s.finished,
      plateau: { ...s.plateau.state },
      earlyStopping: s.early ? { ...s.early.state } : undefined,
    },
    config,
    metrics: metricsRecord(s.last),
  };
}

/** Checkpoint ranking, lower is better: the early-stopping metric, else full/valid loss, else train loss. */
export function scoreOf(m: MetricsReport | undefined, metric?: string): number | undefined {
  if (!m) return undefined;
  if (metric && m[metric as keyof MetricsReport] !== undefined) {
    const v = m[metric as keyof MetricsReport] as number;
    return higherIsBetter(metric) ? -v : v;
  }
  return m.full_valid_loss ?? m.valid_loss ?? m.train_loss;
}

function metricsRecord(m: MetricsReport | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(m ?? {}))
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
  return out;
}
