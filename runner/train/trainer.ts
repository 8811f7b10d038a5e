/**
 * The training loop. One optimizer step = `gradient_accumulation_steps` micro-batches whose summed
 * losses are divided by the step's total loss terms, so the gradient equals that of one big batch.
 * Everything random derives from (seed, step, micro-batch) or (seed, epoch), which makes a run
 * reproducible and a resumed run identical to an uninterrupted one.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import type { TrainerConfig } from '../config';
import { peakLearningRate } from '../config';
import type { Checkpointer, ControlState, TrainingState } from '../checkpoint/state';
import { collate } from '../data/batch';
import type { Dataset } from '../data/dataset';
import { mixSeed } from '../data/rng';
import { epochOrder } from '../data/sampler';
import { clipByGlobalNorm } from '../optim/clip';
import { createOptimizer, type Optimizer } from '../optim/optimizers';
import { learningRateAt, PlateauController } from '../optim/schedule';
import { findLargestBatch } from './auto-batch';
import { installFastCpuKernels } from '../cpu-kernels';
import { EarlyStopping, higherIsBetter } from './early-stopping';
import { disposeTensors, lossSum, toTensors } from './loss';
import type { TrainableModel } from './model';
import { batchSizeAt, totalSteps, type Cursor } from './plan';
import type { MetricsReport, ProgressSink } from './sink';

export interface TrainerOptions {
  config: TrainerConfig;
  model: TrainableModel;
  train: Dataset;
  validation?: Dataset;
  padId: number;
  sink?: ProgressSink;
  checkpointer?: Checkpointer;
  /** Polled between steps; true → checkpoint and return `interrupted` (SIGTERM). */
  shouldStop?: (nextStep: number) => boolean;
  now?: () => number;
}

export interface TrainResult {
  status: 'completed' | 'early_stopped' | 'interrupted';
  /** Steps run in total (including those before a resume). */
  steps: number;
  totalSteps: number;
  batchSize: number;
  last?: MetricsReport;
  bestStep?: number | null;
  resumedFrom?: number;
}

export interface StepResult {
  loss: number;
  correct: number;
  count: number;
  tokens: number;
}

export class Trainer {
  readonly optimizer: Optimizer;
  private readonly vars: tf.Variable[];
  private readonly names: string[];
  private orders = new Map<number, number[]>();

  constructor(private readonly o: TrainerOptions) {
    // initBackend installs it; this covers library use that trains without initBackend (idempotent).
    if (tf.getBackend() === 'cpu') installFastCpuKernels();
    const h = o.config.hyperparameters;
    this.optimizer = createOptimizer({
      kind: h.optimizer,
      beta1: h.beta1,
      beta2: h.beta2,
      epsilon: h.epsilon,
      momentum: h.momentum,
      weightDecay: h.weight_decay,
    });
    this.names = [...o.model.weights.keys()];
    this.vars = this.names.map((n) => o.model.weights.get(n)!);
    const es = h.early_stopping;
    if (es && !o.validation)
      throw new ConfigError('early_stopping needs a validation file', 'hyperparameters.early_stopping');
    if (es && es.metric === 'accuracy' && o.train.task !== 'classification') {
      throw new ConfigError(
        'early_stopping.metric "accuracy" applies to classification data only',
        'hyperparameters.early_stopping.metric',
      );
    }
    if (h.sampling.strategy === 'stratified' && o.train.task !== 'classification') {
      throw new ConfigError(
        'sampling "stratified" needs class labels (classification data)',
        'hyperparameters.sampling.strategy',
      );
    }
  }

  private get h() {
    return this.o.config.hyperparameters;
  }

  private forward(step: number, micro: number) {
    return {
      training: true,
      dropout: this.h.dropout,
      checkpointing: this.h.gradient_checkpointing,
      seed: mixSeed(this.h.seed, step, micro),
    };
  }

  /**
   * Gradients of one optimizer step over `indices` in micro-batches of `batchSize`, summed and
   * divided by the step's total loss terms. The caller disposes the returned gradients. Scalars are
   * read asynchronously throughout: a GPU backend (WebGPU) cannot read device memory synchronously.
   */
  async gradients(
    indices: number[],
    batchSize: number,
    step: number,
  ): Promise<{ grads: Map<string, tf.Tensor>; result: StepResult }> {
    const ds = this.o.train;
    const batches = [];
    for (let i = 0; i < indices.length; i += batchSize) {
      batches.push(
        collate(
          indices.slice(i, i + batchSize).map((j) => ds.examples[j]),
          ds.task,
          this.o.padId,
        ),
      );
    }
    const count = batches.reduce((s, b) => s + b.count, 0);
    const acc = new Map<string, tf.Tensor>();
    let loss = 0;
    let correct = 0;
    let tokens = 0;
    for (const [j, b] of batches.entries()) {
      tokens += b.size * b.length;
      const t = toTensors(b);
      let c: tf.Scalar | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const r = lossSum(this.o.model, t, this.forward(step, j));
        c = tf.keep(r.correct);
        return tf.div(r.loss, Math.max(1, count)) as tf.Scalar;
      }, this.vars);
      this.vars.forEach((v, k) => {
        const g = grads[v.name];
        if (!g) return;
        const prev = acc.get(this.names[k]);
        if (prev) {
          acc.set(this.names[k], tf.add(prev, g));
          tf.dispose([prev, g]);
        } else acc.set(this.names[k], g);
      });
      disposeTensors(t);
      // Read after the gradients are queued, so a GPU works on them while the host waits.
      loss += (await value.data())[0];
      correct += (await c!.data())[0];
      tf.dispose([value, c!]);
    }
    return { grads: acc, result: { loss, correct, count, tokens } };
  }

  /** Mean loss and accuracy over a dataset, without dropout, in batches of `batchSize`. */
  async evaluate(
    ds: Dataset,
    batchSize: number,
    limitBatches?: number,
    firstBatch = 0,
  ): Promise<{ loss: number; accuracy: number }> {
    let loss = 0;
    let correct = 0;
    let count = 0;
    const nb = Math.ceil(ds.examples.length / batchSize);
    const batches = limitBatches ? Math.min(limitBatches, nb) : nb;
    for (let k = 0; k < batches; k++) {
      const start = ((firstBatch + k) % nb) * batchSize;
      const b = collate(ds.examples.slice(start, start + batchSize), ds.task, this.o.padId);
      const t = toTensors(b);
      const r = tf.tidy(() => lossSum(this.o.model, t, { training: false }));
      disposeTensors(t);
      loss += (await r.loss.data())[0];
      correct += (await r.correct.data())[0];
      tf.dispose([r.loss, r.correct]);
      count += b.count;
    }
    return { loss: loss / Math.max(1, count), accuracy: correct / Math.max(1, count) };
  }

  /** Bytes one training step of `size` rows of the longest example holds: activations plus gradients. */
  measureStepBytes(size: number): number {
    const ds = this.o.train;
    const longest = ds.examples.reduce((a, e) => (e.ids.length > a.ids.length ? e : a));
    const b = collate(
      Array.from({ length: size }, () => longest),
      ds.task,
      this.o.padId,
    );
    const before = tf.memory().numBytes;
    let forward = 0;
    const t = toTensors(b);
    const { value, grads } = tf.variableGrads(() => {
      const r = lossSum(this.o.model, t, this.forward(0, 0));
      forward = tf.memory().numBytes - before;
      return r.loss;
    }, this.vars);
    const gradBytes = Object.values(grads).reduce((s, g) => s + g.size * 4, 0);
    tf.dispose([value, ...Object.values(grads)]);
    disposeTensors(t);
    return forward + gradBytes;
  }

  private order(epoch: number): number[] {
    let o = this.orders.get(epoch);
    if (!o) {
      const ex = this.o.train.examples;
      o = epochOrder(
        this.h.sampling.strategy,
        { n: ex.length, labels: ex.map((e) => e.label ?? 0), weights: ex.map((e) => e.weight) },
        this.h.seed,
        epoch,
      );
      this.orders.clear();
      this.orders.set(epoch, o);
    }
    return o;
  }

  async run(): Promise<TrainResult> {
    const { model, train, validation, sink, checkpointer } = this.o;
    const h = this.h;
    const now = this.o.now ?? (() => performance.now());
    const n = train.examples.length;
    const k = h.gradient_accumulation_steps;

    let cursor: Cursor = { step: 0, epoch: 0, position: 0 };
    let batchSize = h.batch_size;
    let control: ControlState = { trainLossSinceEval: { sum: 0, n: 0 }, finished: false };
    let bestWeights: Map<string, tf.Tensor> | undefined;
    const resumed = checkpointer ? await checkpointer.latest() : undefined;
    if (resumed) {
      for (const [name, t] of resumed.weights) model.weights.get(name)?.assign(t);
      this.optimizer.load(resumed.optimizer);
      cursor = { ...resumed.cursor };
      batchSize = resumed.batchSize;
      control = resumed.control;
      bestWeights = resumed.bestWeights;
      tf.dispose([...resumed.weights.values(), ...resumed.optimizer.tensors.values()]);
      await sink?.message?.('info', `Resumed from the checkpoint at step ${cursor.step}.`, {
        step: cursor.step,
      });
    } else if (this.o.config.autoBatchSize) {
      const budget = this.o.config.memoryBudgetBytes ?? defaultBudget();
      const found = findLargestBatch((s) => this.measureStepBytes(s), budget, Math.min(256, n));
      batchSize = found.batchSize;
      await sink?.message?.('info', `batch_size auto: ${batchSize} (memory budget ${budget} bytes).`, {
        batch_size: batchSize,
        probes: found.probes,
      });
    }
    const total = totalSteps(n, h.n_epochs, batchSize, h);
    const warmupSteps =
      this.o.config.warmupRatio !== undefined
        ? Math.floor(this.o.config.warmupRatio * total)
        : h.warmup_steps;
    const schedule = {
      peak: peakLearningRate(h),
      scheduler: h.lr_scheduler,
      warmupSteps,
      warmupType: h.warmup_type,
      totalSteps: total,
    };
    const plateau = new PlateauController(h.reduce_on_plateau, schedule.peak);
    if (control.plateau) plateau.state = control.plateau;
    const early = h.early_stopping ? new EarlyStopping(h.early_stopping) : undefined;
    if (early && control.earlyStopping) early.state = control.earlyStopping;
    const evalBatch = Math.max(1, batchSize);
    let last: MetricsReport | undefined;
    let status: TrainResult['status'] = 'completed';
    let windowTokens = 0;
    let windowStart = now();

    const snapshot = (): TrainingState => ({
      cursor: { ...cursor },
      batchSize,
      totalSteps: total,
      seed: h.seed,
      weights: model.weights,
      optimizer: this.optimizer.state(),
      bestWeights,
      control: {
        ...control,
        plateau: { ...plateau.state },
        earlyStopping: early ? { ...early.state } : undefined,
      },
      config: this.o.config,
      metrics: metricsRecord(last),
    });
    const save = async (): Promise<void> => {
      if (!checkpointer) return;
      const state = snapshot();
      const score = scoreOf(last, h.early_stopping?.metric);
      const { id } = await checkpointer.save(state, score);
      tf.dispose([...state.optimizer.tensors.values()]);
      await sink?.checkpoint?.({ id, step: cursor.step, metrics: state.metrics });
    };

    if (control.finished) {
      if (h.early_stopping?.restore_best && bestWeights)
        for (const [name, t] of bestWeights) model.weights.get(name)?.assign(t);
      return {
        status: 'completed',
        steps: cursor.step,
        totalSteps: total,
        batchSize,
        resumedFrom: cursor.step,
      };
    }
    const resumedFrom = resumed ? cursor.step : undefined;

    while (cursor.epoch < h.n_epochs) {
      // Let the event loop run between steps: signal handlers (SIGTERM) and I/O only run then.
      await new Promise((r) => setImmediate(r));
      if (this.o.shouldStop?.(cursor.step)) {
        await save();
        status = 'interrupted';
        break;
      }
      const b = batchSizeAt(cursor.step, batchSize, h.batch_size_schedule);
      const indices = this.order(cursor.epoch).slice(cursor.position, cursor.position + b * k);
      const lr = learningRateAt(cursor.step, schedule, plateau.rate);
      const { grads, result } = await this.gradients(indices, b, cursor.step);
      const clipped = await clipByGlobalNorm(grads, h.max_grad_norm);
      this.optimizer.apply(model.weights, clipped.grads, lr);
      tf.dispose([...clipped.grads.values()]);

      const stepEpoch = cursor.epoch;
      cursor.step++;
      cursor.position += indices.length;
      if (cursor.position >= n) {
        cursor.epoch++;
        cursor.position = 0;
      }
      const done = cursor.epoch >= h.n_epochs;
      windowTokens += result.tokens;
      control.trainLossSinceEval.sum += result.loss;
      control.trainLossSinceEval.n++;

      let report: MetricsReport | undefined;
      if (cursor.step % h.metrics_interval_steps === 0 || done) {
        const elapsed = (now() - windowStart) / 1000;
        report = {
          step: cursor.step,
          epoch: stepEpoch + 1,
          train_loss: result.loss,
          train_mean_token_accuracy: result.correct / Math.max(1, result.count),
          lr,
          tokens_per_second: elapsed > 0 ? windowTokens / elapsed : 0,
          grad_norm: clipped.norm,
          batch_size: b * k,
        };
        if (validation) {
          const v = await this.evaluate(
            validation,
            evalBatch,
            1,
            Math.floor(cursor.step / h.metrics_interval_steps),
          );
          report.valid_loss = v.loss;
          report.valid_mean_token_accuracy = v.accuracy;
        }
        windowTokens = 0;
        windowStart = now();
      }
      let stop = false;
      if (cursor.step % h.eval_interval_steps === 0 || done) {
        report ??= {
          step: cursor.step,
          epoch: stepEpoch + 1,
          train_loss: result.loss,
          train_mean_token_accuracy: result.correct / Math.max(1, result.count),
          lr,
          tokens_per_second: 0,
          batch_size: b * k,
        };
        let monitored = control.trainLossSinceEval.sum / Math.max(1, control.trainLossSinceEval.n);
        control.trainLossSinceEval = { sum: 0, n: 0 };
        if (validation) {
          const v = await this.evaluate(validation, evalBatch);
          // At a full evaluation, valid_* are the full pass too (a single batch would only add noise).
          Object.assign(report, {
            valid_loss: v.loss,
            valid_mean_token_accuracy: v.accuracy,
            full_valid_loss: v.loss,
            full_valid_mean_token_accuracy: v.accuracy,
          });
          if (train.task === 'classification') report.accuracy = v.accuracy;
          monitored = v.loss;
        }
        if (h.lr_scheduler === 'reduce_on_plateau') plateau.observe(monitored);
        if (early) {
          const value = report[h.early_stopping!.metric]!;
          const r = early.observe(value, cursor.step);
          if (r.improved && h.early_stopping!.restore_best) {
            tf.dispose([...(bestWeights?.values() ?? [])]);
            bestWeights = new Map([...model.weights].map(([name, v]) => [name, tf.clone(v)]));
          }
          if (r.stop) {
            stop = true;
            status = 'early_stopped';
            await sink?.message?.(
              'info',
              `Early stopping at step ${cursor.step}: ${h.early_stopping!.metric} did not improve by ${h.early_stopping!.min_delta} for ${h.early_stopping!.patience} evaluations; best ${early.state.best} at step ${early.state.bestStep}.`,
            );
          }
        }
      }
      if (report) {
        last = report;
        await sink?.metrics?.(report);
      }
      if (done || stop) control.finished = true;
      if (cursor.step % h.checkpoint_interval_steps === 0 || done || stop) await save();
      if (stop) break;
    }
    if (status !== 'interrupted' && h.early_stopping?.restore_best && bestWeights) {
      for (const [name, t] of bestWeights) model.weights.get(name)?.assign(t);
    }
    tf.dispose([...(bestWeights?.values() ?? [])]);
    return {
      status,
      steps: cursor.step,
      totalSteps: total,
      batchSize,
      last,
      bestStep: early?.state.bestStep,
      resumedFrom,
    };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

function metricsRecord(m: MetricsReport | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(m ?? {}))
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
  return out;
}

/** Checkpoint ranking, lower is better: the early-stopping metric, else full/valid loss, else train loss. */
function scoreOf(m: MetricsReport | undefined, metric?: string): number | undefined {
  if (!m) return undefined;
  if (metric && m[metric as keyof MetricsReport] !== undefined) {
    const v = m[metric as keyof MetricsReport] as number;
    return higherIsBetter(metric) ? -v : v;
  }
  return m.full_valid_loss ?? m.valid_loss ?? m.train_loss;
}

/** Without a configured budget: a quarter of the machine's free memory. */
function defaultBudget(): number {
  return Math.floor(os.freemem() / 4);
}
