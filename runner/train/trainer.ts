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
import { mixSeed } from '../data/rng';
import { epochOrder } from '../data/sampler';
import { ConfigError } from '../errors';
import { variableGrads } from '../model/backprop';
import { createOptimizer, type Optimizer } from '../optim/optimizers';
import { disposeTensors, lossSum, toTensors, type LossTerms } from './loss';
import { pairLogps } from './dpo';
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
  /** Loss terms: tokens, rows or (preference data) pairs. */
  count: number;
  tokens: number;
  preference?: PreferenceSums;
  /** A mixture of experts: the load-balancing loss, the mean over the step's micro-batches. */
  aux?: number;
}

/** Preference pairs' figures over a step or an evaluation, as sums (TRL's rewards/* once divided by the pairs). */
export interface PreferenceSums {
  chosenRewards: number;
  rejectedRewards: number;
  wins: number;
  /** Target tokens of the preferred answers (the denominator of the token accuracy). */
  chosenTargets: number;
}

/** Mean loss and token (or class) accuracy; preference data adds the rewards' means. */
export interface Evaluation {
  loss: number;
  accuracy: number;
  preference?: PreferenceMeans;
}

export interface PreferenceMeans {
  rewards_chosen: number;
  rewards_rejected: number;
  rewards_margin: number;
  rewards_accuracy: number;
}

export function preferenceMeans(p: PreferenceSums, pairs: number): PreferenceMeans {
  const n = Math.max(1, pairs);
  return {
    rewards_chosen: p.chosenRewards / n,
    rewards_rejected: p.rejectedRewards / n,
    rewards_margin: (p.chosenRewards - p.rejectedRewards) / n,
    rewards_accuracy: p.wins / n,
  };
}

function addPreference(
  into: PreferenceSums | undefined,
  terms: LossTerms['preference'],
  values: number[],
  chosenTargets: number,
): PreferenceSums | undefined {
  if (!terms) return into;
  const [chosenRewards, rejectedRewards, wins] = values;
  const s = into ?? { chosenRewards: 0, rejectedRewards: 0, wins: 0, chosenTargets: 0 };
  s.chosenRewards += chosenRewards;
  s.rejectedRewards += rejectedRewards;
  s.wins += wins;
  s.chosenTargets += chosenTargets;
  return s;
}

/** Reads the scalars of a loss's preference terms (none without them), then disposes them. */
async function readPreference(terms: LossTerms['preference']): Promise<number[]> {
  if (!terms) return [];
  const list = [terms.chosenRewards, terms.rejectedRewards, terms.wins];
  const out = [];
  for (const t of list) out.push((await t.data())[0]);
  tf.dispose(list);
  return out;
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
    if (es && es.metric === 'valid_rewards_accuracy' && o.train.task !== 'preference') {
      throw new ConfigError(
        'early_stopping.metric "valid_rewards_accuracy" applies to preference data (DPO) only',
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
      const part = indices.slice(i, i + batchSize);
      batches.push(
        collate(
          part.map((j) => ds.examples.get(j)),
          ds.task,
          this.o.padId,
          referenceOf(ds, part),
        ),
      );
    }
    const count = batches.reduce((s, b) => s + b.count, 0);
    const acc = new Map<string, tf.Tensor>();
    let loss = 0;
    let correct = 0;
    let tokens = 0;
    let preference: PreferenceSums | undefined;
    let aux: number | undefined;
    const moe = this.o.model.moe;
    for (const [j, b] of batches.entries()) {
      tokens += b.size * b.length;
      const t = toTensors(b);
      // runner/model's variableGrads: tfjs's, but freeing each node's activations once differentiated
      let terms: (Omit<LossTerms, 'loss'> & { ce: tf.Scalar }) | undefined;
      const { value, grads } = variableGrads(() => {
        const r = lossSum(this.o.model, t, this.forward(step, j), this.o.config.dpo);
        const p = r.preference;
        const ce = tf.div(r.loss, Math.max(1, count)) as tf.Scalar;
        terms = {
          ce: tf.keep(ce),
          correct: tf.keep(r.correct),
          ...(r.aux ? { aux: r.aux } : {}),
          ...(p
            ? {
                preference: {
                  chosenRewards: tf.keep(p.chosenRewards),
                  rejectedRewards: tf.keep(p.rejectedRewards),
                  wins: tf.keep(p.wins),
                },
              }
            : {}),
        };
        // The load-balancing loss of each micro-batch counts 1/k of the step's (HF's Trainer divides
        // each micro-batch's loss, aux included, by the accumulation steps).
        if (!r.aux || !moe?.auxInLoss || moe.auxCoef === 0) return ce;
        return tf.add(ce, tf.mul(r.aux, moe.auxCoef / batches.length)) as tf.Scalar;
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
      loss += (await terms!.ce.data())[0];
      correct += (await terms!.correct.data())[0];
      if (terms!.aux) aux = (aux ?? 0) + (await terms!.aux.data())[0] / batches.length;
      const p = await readPreference(terms!.preference);
      preference = addPreference(preference, terms!.preference, p, b.preference?.chosenTargets ?? 0);
      tf.dispose([value, terms!.ce, terms!.correct, ...(terms!.aux ? [terms!.aux] : [])]);
    }
    return {
      grads: acc,
      result: {
        loss,
        correct,
        count,
        tokens,
        ...(preference ? { preference } : {}),
        ...(aux === undefined ? {} : { aux }),
      },
    };
  }

  /** Mean loss and accuracy (and the preference figures) over a dataset, without dropout, in batches of `batchSize`. */
  async evaluate(ds: Dataset, batchSize: number, limitBatches?: number, firstBatch = 0): Promise<Evaluation> {
    let loss = 0;
    let correct = 0;
    let count = 0;
    let preference: PreferenceSums | undefined;
    const nb = Math.ceil(ds.examples.length / batchSize);
    const batches = limitBatches ? Math.min(limitBatches, nb) : nb;
    for (let k = 0; k < batches; k++) {
      const start = ((firstBatch + k) % nb) * batchSize;
      const part = range(start, Math.min(ds.examples.length, start + batchSize));
      const b = collate(
        part.map((j) => ds.examples.get(j)),
        ds.task,
        this.o.padId,
        referenceOf(ds, part),
      );
      const t = toTensors(b);
      const r = tf.tidy(() => lossSum(this.o.model, t, { training: false }, this.o.config.dpo));
      disposeTensors(t);
      loss += (await r.loss.data())[0];
      correct += (await r.correct.data())[0];
      preference = addPreference(
        preference,
        r.preference,
        await readPreference(r.preference),
        b.preference?.chosenTargets ?? 0,
      );
      tf.dispose([r.loss, r.correct, ...(r.aux ? [r.aux] : [])]);
      count += b.count;
    }
    const n = Math.max(1, count);
    if (!preference) return { loss: loss / n, accuracy: correct / n };
    return {
      loss: loss / n,
      accuracy: correct / Math.max(1, preference.chosenTargets),
      preference: preferenceMeans(preference, count),
    };
  }

  /** DPO's reference: each pair's log-probabilities under the weights as they are (see pairLogps). */
  referenceLogps(ds: Dataset, batchSize: number): Promise<Float32Array> {
    return pairLogps(this.o.model, ds, this.o.padId, batchSize);
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
    let aux: tf.Scalar | undefined;
    const t = toTensors(b);
    const { value, grads } = tf.variableGrads(() => {
      const r = lossSum(this.o.model, t, this.forward(0, 0), this.o.config.dpo);
      forward = tf.memory().numBytes - before;
      aux = r.aux;
      return r.loss;
    }, this.vars);
    aux?.dispose();
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

/** The reference log-probabilities of the examples at `indices` (preference data), in that order. */
function referenceOf(ds: Dataset, indices: number[]): Float32Array | undefined {
  if (ds.task !== 'preference') return undefined;
  if (!ds.reference) throw new Error('preference data needs its reference log-probabilities first');
  const out = new Float32Array(2 * indices.length);
  indices.forEach((j, i) => {
    out[2 * i] = ds.reference![2 * j];
    out[2 * i + 1] = ds.reference![2 * j + 1];
  });
  return out;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
