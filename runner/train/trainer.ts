/**
 * What training computes, step by step: the gradients of one optimizer step, the loss and accuracy
 * over a dataset, the memory a step needs, the order an epoch reads the examples in. The loop that
 * drives them is train/loop.ts.
 *
 * One optimizer step = `gradient_accumulation_steps` micro-batches whose summed losses are divided
 * by the step's total loss terms, so the gradient equals that of one big batch. Everything random
 * derives from (seed, step, micro-batch) or (seed, epoch), which makes a run reproducible and a
 * resumed run identical to an uninterrupted one.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainerConfig } from '../config';
import type { Checkpointer } from '../checkpoint/state';
import { installFastCpuKernels } from '../cpu-kernels';
import { collate } from '../data/batch';
import type { Dataset } from '../data/dataset';
import { exampleRange } from '../data/examples';
import { mixSeed } from '../data/rng';
import { epochOrder } from '../data/sampler';
import { ConfigError } from '../errors';
import { variableGrads } from '../model/backprop';
import { createOptimizer, type Optimizer } from '../optim/optimizers';
import { disposeTensors, lossSum, toTensors } from './loss';
import { TrainingLoop } from './loop';
import type { TrainableModel } from './model';
import type { MetricsReport, ProgressSink } from './sink';
import type { RunStatus } from './state';

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
  status: RunStatus;
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
          indices.slice(i, i + batchSize).map((j) => ds.examples.get(j)),
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
      // runner/model's variableGrads: tfjs's, but freeing each node's activations once differentiated
      const { value, grads } = variableGrads(() => {
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
      const b = collate(exampleRange(ds.examples, start, start + batchSize), ds.task, this.o.padId);
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
    const longest = ds.examples.get(ds.examples.longest);
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

  /** The order epoch `epoch` reads the training examples in (the sampling strategy's, from the seed). */
  order(epoch: number): number[] {
    let o = this.orders.get(epoch);
    if (!o) {
      const ex = this.o.train.examples;
      const strategy = this.h.sampling.strategy;
      // Only the strategy's own inputs are gathered (a large disk store has them in memory anyway).
      o = epochOrder(
        strategy,
        {
          n: ex.length,
          labels: strategy === 'stratified' ? ex.labelIds() : undefined,
          weights: strategy === 'weighted' ? ex.weights() : undefined,
        },
        this.h.seed,
        epoch,
      );
      this.orders.clear();
      this.orders.set(epoch, o);
    }
    return o;
  }

  /** Trains to the end (or an early stop, or `shouldStop`); see train/loop.ts. */
  run(): Promise<TrainResult> {
    return new TrainingLoop(this, this.o).run();
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
