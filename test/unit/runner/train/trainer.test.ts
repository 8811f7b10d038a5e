import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../../../runner/data';
import { Trainer, findLargestBatch, type MetricsReport, type TrainerOptions } from '../../../../runner/train';
import type { Hyperparameters } from '../../../../openapi/schemas/hyperparameters';
import { charTokenizer as tok, config, maxAbsDiff, snapshotWeights, textLines, TinyModel } from './helpers';

const lm = loadDataset(textLines(60), tok, { maxLength: 16 });
const lmValid = loadDataset(textLines(20, 9), tok, { maxLength: 16 });

function collect() {
  const metrics: MetricsReport[] = [];
  const messages: string[] = [];
  return {
    metrics,
    messages,
    sink: {
      metrics: (m: MetricsReport) => void metrics.push(m),
      message: (_l: string, t: string) => void messages.push(t),
    },
  };
}

type Settings = Hyperparameters & { seed?: number };

/** A Trainer on the LM data, padded with the char tokenizer's pad id. */
function trainer(model: TinyModel, h: Settings, more: Partial<TrainerOptions> = {}): Trainer {
  return new Trainer({ config: config(h), model, train: lm, padId: tok.padId, ...more });
}

/**
 * Trains a fresh TinyModel to the end, collecting the reports and messages (unless `more` brings
 * its own sink). The caller disposes the model.
 */
async function train(h: Settings, more: Partial<TrainerOptions> = {}) {
  const model = new TinyModel(30);
  const c = collect();
  const result = await trainer(model, h, { sink: c.sink, ...more }).run();
  return { result, model, metrics: c.metrics, messages: c.messages };
}

describe('gradient accumulation', () => {
  it('k micro-batches of b give the gradients of one batch of k·b', async () => {
    const model = new TinyModel(30);
    const t = trainer(model, { batch_size: 8 });
    const idx = [0, 5, 9, 13, 2, 7, 11, 20];
    const whole = await t.gradients(idx, 8, 0);
    const micro = await t.gradients(idx, 2, 0);
    expect(micro.result.loss).toBeCloseTo(whole.result.loss, 5);
    for (const [k, g] of whole.grads) {
      expect(tf.max(tf.abs(tf.sub(g, micro.grads.get(k)!))).dataSync()[0]).toBeLessThan(1e-6);
    }
    tf.dispose([...whole.grads.values(), ...micro.grads.values()]);
    model.dispose();
  });

  it('a run with batch 2 × 4 accumulation ends where a run with batch 8 ends', async () => {
    const run = async (h: Settings) => {
      const { model } = await train({ n_epochs: 1, learning_rate: 0.05, ...h });
      const w = snapshotWeights(model);
      model.dispose();
      return w;
    };
    const a = await run({ batch_size: 8 });
    const b = await run({ batch_size: 2, gradient_accumulation_steps: 4 });
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
  });
});

describe('reproducibility', () => {
  it('the same seed gives the identical run; another seed does not', async () => {
    const run = async (seed: number) => {
      const { model, metrics } = await train(
        { seed, n_epochs: 2, batch_size: 4, dropout: 0.2, metrics_interval_steps: 1 },
        { validation: lmValid },
      );
      const w = snapshotWeights(model);
      model.dispose();
      return { w, losses: metrics.map((m) => m.train_loss) };
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(maxAbsDiff(a.w, b.w)).toBe(0);
    expect(b.losses).toEqual(a.losses);
    expect(maxAbsDiff(a.w, c.w)).toBeGreaterThan(1e-4);
  });
});

describe('dropout', () => {
  it('changes training-time outputs (with the seed) but never evaluation', async () => {
    const model = new TinyModel(30);
    const t = trainer(model, { dropout: 0.5 });
    const g1 = await t.gradients([0, 1, 2, 3], 4, 0);
    const g2 = await t.gradients([0, 1, 2, 3], 4, 1); // next step: another mask
    const g1again = await t.gradients([0, 1, 2, 3], 4, 0);
    expect(g1.result.loss).not.toBeCloseTo(g2.result.loss, 4);
    expect(g1again.result.loss).toBe(g1.result.loss);
    const noDrop = trainer(model, { dropout: 0 });
    expect((await noDrop.gradients([0, 1, 2, 3], 4, 0)).result.loss).not.toBeCloseTo(g1.result.loss, 4);
    expect((await t.evaluate(lmValid, 4)).loss).toBe((await noDrop.evaluate(lmValid, 4)).loss);
    tf.dispose([...g1.grads.values(), ...g2.grads.values(), ...g1again.grads.values()]);
    model.dispose();
  });
});

describe('the loop', () => {
  it('reports OpenAI-named metrics every metrics_interval_steps, with the scheduled lr, and learns', async () => {
    const {
      result: r,
      model,
      ...c
    } = await train(
      {
        n_epochs: 3,
        batch_size: 4,
        learning_rate: 0.05,
        warmup_steps: 4,
        lr_scheduler: 'linear',
        metrics_interval_steps: 3,
        eval_interval_steps: 100,
      },
      { validation: lmValid },
    );
    expect(r.status).toBe('completed');
    expect(r.totalSteps).toBe(Math.ceil(lm.examples.length / 4) * 3);
    expect(c.metrics.map((m) => m.step)).toEqual([
      ...Array.from({ length: Math.floor(r.totalSteps / 3) }, (_, i) => 3 * (i + 1)),
      ...(r.totalSteps % 3 ? [r.totalSteps] : []),
    ]);
    const first = c.metrics[0];
    for (const k of [
      'train_loss',
      'train_mean_token_accuracy',
      'valid_loss',
      'valid_mean_token_accuracy',
      'lr',
      'tokens_per_second',
      'step',
      'epoch',
    ]) {
      expect(first).toHaveProperty(k);
    }
    expect(first.lr).toBeCloseTo(0.05 * (2 / 4), 10); // step index 2 of a 4-step linear warm-up
    const last = c.metrics.at(-1)!;
    expect(last.full_valid_loss).toBeDefined();
    expect(last.full_valid_loss!).toBeLessThan(Math.log(30) - 0.5);
    model.dispose();
  });

  it('keeps the tensor count flat across steps', async () => {
    const counts: number[] = [];
    const { model } = await train(
      {
        n_epochs: 2,
        batch_size: 4,
        metrics_interval_steps: 1,
        eval_interval_steps: 3,
        gradient_accumulation_steps: 2,
        early_stopping: { metric: 'valid_loss', patience: 50, min_delta: 0, restore_best: true },
      },
      { validation: lmValid, sink: { metrics: () => void counts.push(tf.memory().numTensors) } },
    );
    // After the first evaluation has created the optimizer slots and best-weights copy.
    expect(new Set(counts.slice(3)).size).toBe(1);
    model.dispose();
  });

  it('follows batch_size_schedule (adaptive batch size) from the given steps on', async () => {
    const { model, metrics } = await train({
      n_epochs: 1,
      batch_size: 2,
      batch_size_schedule: [
        { step: 3, batch_size: 4 },
        { step: 6, batch_size: 8 },
      ],
      metrics_interval_steps: 1,
    });
    const sizes = metrics.map((m) => m.batch_size);
    expect(sizes.slice(0, 8)).toEqual([2, 2, 2, 4, 4, 4, 8, 8]);
    model.dispose();
  });
});

describe('early stopping', () => {
  it('stops after patience evaluations without a min_delta gain and restores the best weights', async () => {
    const model = new TinyModel(30);
    const c = collect();
    const best: { step: number; w: Map<string, Float32Array> }[] = [];
    // A rate this high makes validation loss bounce: improvements stop quickly.
    const r = await trainer(
      model,
      {
        n_epochs: 20,
        batch_size: 8,
        learning_rate: 0.8,
        lr_scheduler: 'constant',
        optimizer: 'sgd',
        momentum: 0.9,
        max_grad_norm: null,
        eval_interval_steps: 2,
        metrics_interval_steps: 2,
        early_stopping: { metric: 'full_valid_loss', patience: 2, min_delta: 0.05, restore_best: true },
      },
      {
        validation: lmValid,
        sink: {
          ...collect().sink,
          metrics: (m) => {
            c.metrics.push(m);
            best.push({ step: m.step, w: snapshotWeights(model) });
          },
        },
      },
    ).run();
    expect(r.status).toBe('early_stopped');
    const evals = c.metrics.filter((m) => m.full_valid_loss !== undefined);
    // Find where the rule says to stop and check the trainer stopped there.
    let bestV = Infinity;
    let bad = 0;
    let stopAt = -1;
    let bestStep = -1;
    for (const m of evals) {
      if (bestV - m.full_valid_loss! >= 0.05 || bestV === Infinity) {
        bestV = m.full_valid_loss!;
        bestStep = m.step;
        bad = 0;
      } else if (++bad >= 2) {
        stopAt = m.step;
        break;
      }
    }
    expect(r.steps).toBe(stopAt);
    expect(r.bestStep).toBe(bestStep);
    expect(maxAbsDiff(snapshotWeights(model), best.find((b) => b.step === bestStep)!.w)).toBe(0);
    model.dispose();
  });
});

describe('reduce on plateau in the loop', () => {
  it('lowers the rate when validation loss stops improving', async () => {
    const { model, metrics } = await train(
      {
        n_epochs: 15,
        batch_size: 8,
        learning_rate: 0.8,
        optimizer: 'sgd',
        max_grad_norm: null,
        lr_scheduler: 'reduce_on_plateau',
        reduce_on_plateau: { factor: 0.5, patience: 0, min_lr: 0.01, threshold: 0.01 },
        eval_interval_steps: 2,
        metrics_interval_steps: 1,
      },
      { validation: lmValid },
    );
    const rates = [...new Set(metrics.map((m) => m.lr))];
    expect(rates[0]).toBe(0.8);
    expect(rates.length).toBeGreaterThan(1);
    expect(rates.every((x, i) => i === 0 || x === rates[i - 1] * 0.5 || x === 0.01)).toBe(true);
    model.dispose();
  });
});

describe('batch_size auto', () => {
  it('finds the largest batch whose step fits the budget', async () => {
    const model = new TinyModel(30);
    const t = trainer(model, {});
    const per = t.measureStepBytes(2) - t.measureStepBytes(1);
    const fixed = t.measureStepBytes(1) - per;
    expect(per).toBeGreaterThan(0);
    // A budget that fits exactly 11 rows.
    const budget = fixed + per * 11 + per / 2;
    const c = collect();
    const r = await trainer(
      model,
      {},
      {
        config: config({ n_epochs: 1 }, { autoBatchSize: true, memoryBudgetBytes: budget }),
        sink: c.sink,
      },
    ).run();
    expect(r.batchSize).toBe(11);
    expect(t.measureStepBytes(11)).toBeLessThanOrEqual(budget);
    expect(t.measureStepBytes(12)).toBeGreaterThan(budget);
    expect(c.messages.some((m) => m.includes('batch_size auto: 11'))).toBe(true);
    model.dispose();
  });

  it('probes by doubling then bisecting, treating a throw as out of memory', () => {
    const probes: number[] = [];
    const r = findLargestBatch(
      (s) => {
        probes.push(s);
        if (s > 37) throw new Error('OOM');
        return s;
      },
      1e9,
      256,
    );
    expect(r.batchSize).toBe(37);
    expect(probes.slice(0, 7)).toEqual([1, 2, 4, 8, 16, 32, 64]);
    expect(probes.length).toBeLessThan(14);
  });
});

describe('warmup_ratio in the loop', () => {
  it('warms up over ratio × total steps', async () => {
    const {
      result: r,
      model,
      metrics,
    } = await train({
      n_epochs: 1,
      batch_size: 2,
      warmup_ratio: 0.5,
      learning_rate: 0.1,
      lr_scheduler: 'constant',
      metrics_interval_steps: 1,
    });
    const w = Math.floor(r.totalSteps / 2);
    expect(metrics[1].lr).toBeCloseTo(0.1 * (1 / w), 10);
    expect(metrics[w].lr).toBe(0.1);
    model.dispose();
  });
});

describe('max_steps in the loop', () => {
  it('ends after max_steps optimizer steps, mid-epoch, with the linear schedule spanning them', async () => {
    // 60 examples in batches of 4: 15 steps an epoch, 45 over n_epochs 3
    const {
      result: r,
      model,
      metrics,
    } = await train({
      n_epochs: 3,
      batch_size: 4,
      max_steps: 5,
      learning_rate: 0.1,
      lr_scheduler: 'linear',
      metrics_interval_steps: 1,
    });
    expect(r).toMatchObject({ status: 'completed', steps: 5, totalSteps: 5 });
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5]);
    expect(metrics.map((m) => m.epoch)).toEqual([1, 1, 1, 1, 1]);
    expect(metrics[4].lr).toBeCloseTo(0.1 * (1 / 5), 10); // the last step's rate, one fifth of the way from 0
    model.dispose();
  });
});

describe('weight decay in the loop', () => {
  it('leaves smaller weight matrices than the same run without it', async () => {
    const norm = async (weight_decay: number) => {
      const { model } = await train({ n_epochs: 2, batch_size: 8, learning_rate: 0.05, weight_decay });
      const n = tf.tidy(() => tf.norm(model.weights.get('lm_head.weight')!).dataSync()[0]);
      model.dispose();
      return n;
    };
    expect(await norm(0.5)).toBeLessThan((await norm(0)) * 0.95);
  });
});
