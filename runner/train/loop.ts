/**
 * The training loop, top to bottom: `restore` (resume from the newest checkpoint, or start and size
 * the batch), then per step `step` (one optimizer update), `report` (the metrics), `evaluate` (the
 * full evaluation that drives reduce-on-plateau and early stopping) and `checkpoint`, and at the end
 * `close` (best weights back, the result). Every part works over the one LoopState (train/state.ts);
 * what a step computes (gradients, evaluation of a dataset, sampling order) is the Trainer's.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { clipCoefficient, globalNorm } from '../optim/clip';
import { learningRateAt } from '../optim/schedule';
import type { ReferenceLogps } from '../checkpoint/state';
import type { Dataset } from '../data/dataset';
import { findLargestBatch } from './auto-batch';
import { batchSizeAt } from './plan';
import type { MetricsReport } from './sink';
import { loopState, scoreOf, snapshot, type LoopState } from './state';
import {
  preferenceMeans,
  type PreferenceMeans,
  type StepResult,
  type Trainer,
  type TrainerOptions,
  type TrainResult,
} from './trainer';

/** What one step did, for its report. */
interface StepOutcome extends StepResult {
  lr: number;
  gradNorm: number;
  /** Rows the step trained on (micro-batch size × accumulation steps). */
  rows: number;
  /** The epoch the step belongs to, from 1. */
  epoch: number;
  /** The step was the run's last. */
  done: boolean;
}

export class TrainingLoop {
  private readonly now: () => number;

  constructor(
    private readonly trainer: Trainer,
    private readonly o: TrainerOptions,
  ) {
    this.now = o.now ?? (() => performance.now());
  }

  private get h() {
    return this.o.config.hyperparameters;
  }

  async run(): Promise<TrainResult> {
    const s = await this.restore();
    const h = this.h;
    while (!s.finished && s.cursor.epoch < h.n_epochs && s.cursor.step < stepLimit(h)) {
      // Let the event loop run between steps: signal handlers (SIGTERM) and I/O only run then.
      await new Promise((r) => setImmediate(r));
      if (this.o.shouldStop?.(s.cursor.step)) {
        await this.checkpoint(s);
        s.status = 'interrupted';
        break;
      }
      const step = await this.step(s);
      const due = (interval: number) => step.done || s.cursor.step % interval === 0;
      const evaluating = due(h.eval_interval_steps);
      const report = await this.report(s, step, due(h.metrics_interval_steps), evaluating);
      const stop = evaluating && (await this.evaluate(s, report!));
      if (report) {
        s.last = report;
        await this.o.sink?.metrics?.(report);
      }
      if (step.done || stop) s.finished = true;
      if (due(h.checkpoint_interval_steps) || stop) await this.checkpoint(s);
    }
    return this.close(s);
  }

  /**
   * The state to start from: the newest complete checkpoint's, or a fresh one (probing
   * `batch_size: auto`). Preference data also gets its reference log-probabilities here, from the
   * starting weights: saved in the checkpoint, else computed before any resumed weights are loaded.
   */
  private async restore(): Promise<LoopState> {
    const { model, train, checkpointer, sink, config } = this.o;
    const resumed = checkpointer ? await checkpointer.latest() : undefined;
    if (resumed) {
      await this.references(resumed.batchSize, resumed.reference);
      for (const [name, t] of resumed.weights) model.weights.get(name)?.assign(t);
      this.trainer.optimizer.load(resumed.optimizer);
      tf.dispose([...resumed.weights.values(), ...resumed.optimizer.tensors.values()]);
      const cursor = { ...resumed.cursor };
      await sink?.message?.('info', `Resumed from the checkpoint at step ${cursor.step}.`, {
        step: cursor.step,
      });
      const { batchSize, control, bestWeights } = resumed;
      const start = { cursor, batchSize, control, bestWeights, resumed: true };
      return loopState(config, start, train.examples.length, this.now());
    }
    let batchSize = this.h.batch_size;
    if (config.autoBatchSize) {
      // Without a configured budget: a quarter of the machine's free memory.
      const budget = config.memoryBudgetBytes ?? Math.floor(os.freemem() / 4);
      const cap = Math.min(256, train.examples.length);
      const found = findLargestBatch((size) => this.trainer.measureStepBytes(size), budget, cap);
      batchSize = found.batchSize;
      await sink?.message?.('info', `batch_size auto: ${batchSize} (memory budget ${budget} bytes).`, {
        batch_size: batchSize,
        probes: found.probes,
      });
    }
    await this.references(batchSize);
    const start = { cursor: { step: 0, epoch: 0, position: 0 }, batchSize, resumed: false };
    return loopState(config, start, train.examples.length, this.now());
  }

  /** DPO's reference log-probabilities of the training and validation pairs: the saved ones, else from the model as it is. */
  private async references(batchSize: number, saved?: ReferenceLogps): Promise<void> {
    const { train, validation, sink } = this.o;
    if (train.task !== 'preference') return;
    const fits = (d: Dataset | undefined, r: Float32Array | undefined) =>
      !d || r?.length === 2 * d.examples.length;
    if (saved && fits(train, saved.train) && fits(validation, saved.validation)) {
      train.reference = saved.train;
      if (validation) validation.reference = saved.validation;
      return;
    }
    const started = this.now();
    const size = Math.max(1, batchSize);
    train.reference = await this.trainer.referenceLogps(train, size);
    if (validation) validation.reference = await this.trainer.referenceLogps(validation, size);
    const seconds = ((this.now() - started) / 1000).toFixed(1);
    const pairs = train.examples.length + (validation?.examples.length ?? 0);
    await sink?.message?.(
      'info',
      `DPO reference: log-probabilities of ${pairs} preference pairs from the starting weights (${seconds} s).`,
      { reference_pairs: pairs },
    );
  }

  /** One optimizer update over the next rows of the epoch's order; the cursor moves past them. */
  private async step(s: LoopState): Promise<StepOutcome> {
    const h = this.h;
    const { cursor } = s;
    const b = batchSizeAt(cursor.step, s.batchSize, h.batch_size_schedule);
    const rows = b * h.gradient_accumulation_steps;
    const indices = this.trainer.order(cursor.epoch).slice(cursor.position, cursor.position + rows);
    const lr = learningRateAt(cursor.step, s.schedule, s.plateau.rate);
    const { grads, result } = await this.trainer.gradients(indices, b, cursor.step);
    // Clipping is the optimizer's gradient scale: no scaled copy of every gradient.
    const gradNorm = await globalNorm(grads.values());
    this.trainer.optimizer.apply(this.o.model.weights, grads, lr, clipCoefficient(gradNorm, h.max_grad_norm));
    tf.dispose([...grads.values()]);

    const epoch = cursor.epoch + 1;
    cursor.step++;
    cursor.position += indices.length;
    if (cursor.position >= this.o.train.examples.length) {
      cursor.epoch++;
      cursor.position = 0;
    }
    s.window.tokens += result.tokens;
    s.trainLossSinceEval.sum += result.loss;
    s.trainLossSinceEval.n++;
    const done = cursor.epoch >= h.n_epochs || cursor.step >= stepLimit(h);
    return { ...result, lr, gradNorm, rows, epoch, done };
  }

  /**
   * The step's metrics when it reports (every metrics_interval_steps): throughput since the last
   * report and one validation batch, a different one each time. An evaluation step that does not
   * report gets the step's figures alone, for `evaluate` to complete.
   */
  private async report(
    s: LoopState,
    step: StepOutcome,
    reporting: boolean,
    evaluating: boolean,
  ): Promise<MetricsReport | undefined> {
    if (!reporting) return evaluating ? figures(s.cursor.step, step, 0) : undefined;
    const { validation } = this.o;
    const elapsed = (this.now() - s.window.startedAt) / 1000;
    const report = figures(s.cursor.step, step, elapsed > 0 ? s.window.tokens / elapsed : 0, step.gradNorm);
    if (validation) {
      const batch = Math.floor(s.cursor.step / this.h.metrics_interval_steps);
      const v = await this.trainer.evaluate(validation, Math.max(1, s.batchSize), 1, batch);
      report.valid_loss = v.loss;
      report.valid_mean_token_accuracy = v.accuracy;
      if (v.preference) Object.assign(report, prefixed('valid_', v.preference));
    }
    s.window = { tokens: 0, startedAt: this.now() };
    return report;
  }

  /**
   * A full evaluation (every eval_interval_steps and at the end): the whole validation set, else the
   * train loss since the last one, observed by reduce-on-plateau and early stopping. True when early
   * stopping ends the run.
   */
  private async evaluate(s: LoopState, report: MetricsReport): Promise<boolean> {
    const { validation, train, model, sink } = this.o;
    let monitored = s.trainLossSinceEval.sum / Math.max(1, s.trainLossSinceEval.n);
    s.trainLossSinceEval = { sum: 0, n: 0 };
    if (validation) {
      const v = await this.trainer.evaluate(validation, Math.max(1, s.batchSize));
      // At a full evaluation, valid_* are the full pass too (a single batch would only add noise).
      Object.assign(report, {
        valid_loss: v.loss,
        valid_mean_token_accuracy: v.accuracy,
        full_valid_loss: v.loss,
        full_valid_mean_token_accuracy: v.accuracy,
      });
      if (train.task === 'classification') report.accuracy = v.accuracy;
      if (v.preference) Object.assign(report, prefixed('valid_', v.preference));
      monitored = v.loss;
    }
    if (this.h.lr_scheduler === 'reduce_on_plateau') s.plateau.observe(monitored);
    if (!s.early) return false;
    const { metric, min_delta, patience, restore_best } = s.early.settings;
    const verdict = s.early.observe(report[metric]!, s.cursor.step);
    if (verdict.improved && restore_best) {
      tf.dispose([...(s.bestWeights?.values() ?? [])]);
      s.bestWeights = new Map([...model.weights].map(([name, v]) => [name, tf.clone(v)]));
    }
    if (!verdict.stop) return false;
    s.status = 'early_stopped';
    await sink?.message?.(
      'info',
      `Early stopping at step ${s.cursor.step}: ${metric} did not improve by ${min_delta} for ${patience} evaluations; best ${s.early.state.best} at step ${s.early.state.bestStep}.`,
    );
    return true;
  }

  /** Saves the state (when a checkpointer is given) and tells the sink. */
  private async checkpoint(s: LoopState): Promise<void> {
    const { checkpointer, sink, model, config } = this.o;
    if (!checkpointer) return;
    const { train, validation } = this.o;
    const reference = train.reference
      ? { train: train.reference, validation: validation?.reference }
      : undefined;
    const state = snapshot(s, model.weights, this.trainer.optimizer, config, reference);
    const { id } = await checkpointer.save(state, scoreOf(s.last, this.h.early_stopping?.metric));
    tf.dispose([...state.optimizer.tensors.values()]);
    await sink?.checkpoint?.({ id, step: s.cursor.step, metrics: state.metrics });
  }

  /** The end of a run: the best weights back in the model (restore_best, unless interrupted), the result. */
  private close(s: LoopState): TrainResult {
    if (s.status !== 'interrupted' && this.h.early_stopping?.restore_best && s.bestWeights) {
      for (const [name, t] of s.bestWeights) this.o.model.weights.get(name)?.assign(t);
    }
    tf.dispose([...(s.bestWeights?.values() ?? [])]);
    return {
      status: s.status,
      steps: s.cursor.step,
      totalSteps: s.totalSteps,
      batchSize: s.batchSize,
      last: s.last,
      bestStep: s.early?.state.bestStep,
      resumedFrom: s.resumedFrom,
    };
  }
}

/** A report's step figures; throughput and the gradient norm where the step reports them. */
function figures(at: number, step: StepOutcome, tokensPerSecond: number, gradNorm?: number): MetricsReport {
  const p = step.preference;
  return {
    step: at,
    epoch: step.epoch,
    train_loss: step.loss,
    // Preference pairs: TRL's mean_token_accuracy, over the preferred answers' tokens.
    train_mean_token_accuracy: step.correct / Math.max(1, p ? p.chosenTargets : step.count),
    lr: step.lr,
    tokens_per_second: tokensPerSecond,
    ...(gradNorm === undefined ? {} : { grad_norm: gradNorm }),
    batch_size: step.rows,
    ...(p ? prefixed('train_', preferenceMeans(p, step.count)) : {}),
    ...(step.aux === undefined ? {} : { train_aux_loss: step.aux }),
  };
}

/** `max_steps` ends training after that many optimizer steps, whatever n_epochs says. */
function stepLimit(h: { max_steps?: number | null }): number {
  return h.max_steps ?? Number.POSITIVE_INFINITY;
}

/** rewards_chosen → train_rewards_chosen (or valid_…). */
function prefixed(prefix: 'train_' | 'valid_', m: PreferenceMeans): Partial<MetricsReport> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [`${prefix}${k}`, v]));
}
