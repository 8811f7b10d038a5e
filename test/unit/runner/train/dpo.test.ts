import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointManager, localStorage } from '../../../../runner/checkpoint';
import { loadDataset, type Dataset } from '../../../../runner/data';
import { ConfigError } from '../../../../runner/errors';
import { Trainer, type MetricsReport, type TrainerOptions } from '../../../../runner/train';
import { dpoLoss, sequenceLogps } from '../../../../runner/train/dpo';
import type { DpoHyperparameters } from '../../../../openapi/schemas/dpo';
import { charTokenizer as tok, config, maxAbsDiff, snapshotWeights, textLines, TinyModel } from './helpers';

/** Pairs whose preferred answer is always "yes" and the other "no", after a random prompt. */
function pairs(n: number, seed: number): string {
  const words = textLines(n, seed).split('.');
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      input: { messages: [{ role: 'user', content: words[i].trim() || 'x' }] },
      preferred_output: [{ role: 'assistant', content: 'yes' }],
      non_preferred_output: [{ role: 'assistant', content: 'no' }],
    }),
  ).join('\n');
}

const load = (content: string): Dataset => loadDataset(content, tok, { maxLength: 48 });
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

type Settings = DpoHyperparameters & { seed?: number };

function trainer(model: TinyModel, h: Settings, more: Partial<TrainerOptions> = {}): Trainer {
  return new Trainer({
    config: config(h as never),
    model,
    train: load(pairs(24, 1)),
    validation: load(pairs(8, 5)),
    padId: tok.padId,
    ...more,
  });
}

const softplus = (x: number) => Math.log1p(Math.exp(x));

describe('the DPO loss', () => {
  it('is −(1−ε)·log σ(β·Δ) − ε·log σ(−β·Δ) per pair, with TRL’s rewards', async () => {
    const logps = tf.tensor1d([-1, -2, -3, -1.5]); // chosen 0, 1, rejected 0, 1
    const ref = tf.tensor1d([-1.2, -2.5, -2.9, -1.0]);
    for (const [beta, eps] of [
      [0.5, 0],
      [0.1, 0.2],
    ]) {
      const r = dpoLoss(logps, ref, { beta, label_smoothing: eps });
      const chosen = [beta * (-1 + 1.2), beta * (-2 + 2.5)];
      const rejected = [beta * (-3 + 2.9), beta * (-1.5 + 1.0)];
      const expected = chosen
        .map((c, i) => c - rejected[i])
        .reduce((s, z) => s + (1 - eps) * softplus(-z) + eps * softplus(z), 0);
      expect((await r.loss.data())[0]).toBeCloseTo(expected, 5);
      expect((await r.chosenRewards.data())[0]).toBeCloseTo(chosen[0] + chosen[1], 5);
      expect((await r.rejectedRewards.data())[0]).toBeCloseTo(rejected[0] + rejected[1], 5);
      expect((await r.wins.data())[0]).toBe(2);
      tf.dispose([r.loss, r.chosenRewards, r.rejectedRewards, r.wins]);
    }
    tf.dispose([logps, ref]);
  });

  it('sums log-probabilities over the masked (answer) tokens of each row only', async () => {
    const logits = tf.randomNormal([2, 3, 5], 0, 2, 'float32', 3) as tf.Tensor3D;
    const targets = tf.tensor2d([1, 4, 0, 2, 2, 3], [2, 3], 'int32');
    const mask = tf.tensor2d([0, 1, 1, 1, 0, 0], [2, 3]);
    const { logps } = sequenceLogps(logits, targets, mask);
    const lp = (await tf.logSoftmax(logits).array()) as number[][][];
    expect([...(await logps.data())].map((v) => +v.toFixed(5))).toEqual(
      [lp[0][1][4] + lp[0][2][0], lp[1][0][2]].map((v) => +v.toFixed(5)),
    );
    tf.dispose([logits, targets, mask, logps]);
  });
});

describe('DPO in the trainer', () => {
  it('k micro-batches of b pairs give the gradients of one batch of k·b pairs', async () => {
    const model = new TinyModel(30);
    const t = trainer(model, { batch_size: 8, beta: 0.3 });
    const ds = (t as unknown as { o: TrainerOptions }).o.train;
    ds.reference = (await t.referenceLogps(ds, 8)).map((v, i) => v + (i % 3) - 1); // away from the policy
    const idx = [0, 5, 9, 13, 2, 7, 11, 20];
    const whole = await t.gradients(idx, 8, 0);
    const micro = await t.gradients(idx, 2, 0);
    expect(micro.result.loss).toBeCloseTo(whole.result.loss, 5);
    expect(micro.result.preference).toEqual(whole.result.preference);
    for (const [k, g] of whole.grads)
      expect(tf.max(tf.abs(tf.sub(g, micro.grads.get(k)!))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([...whole.grads.values(), ...micro.grads.values()]);
    model.dispose();
  });

  it('reports train_ and valid_ rewards, which rise as the preferred answers win', async () => {
    const model = new TinyModel(30);
    const metrics: MetricsReport[] = [];
    const messages: string[] = [];
    const result = await trainer(
      model,
      { n_epochs: 6, batch_size: 4, learning_rate: 0.05, beta: 0.5, metrics_interval_steps: 3 },
      { sink: { metrics: (m) => void metrics.push(m), message: (_l, t) => void messages.push(t) } },
    ).run();
    expect(result.status).toBe('completed');
    expect(messages.some((m) => /DPO reference: log-probabilities of 32 preference pairs/.test(m))).toBe(
      true,
    );
    const first = metrics[0];
    const last = metrics.at(-1)!;
    for (const k of ['chosen', 'rejected', 'margin', 'accuracy'])
      for (const p of ['train', 'valid'])
        expect(Number.isFinite(last[`${p}_rewards_${k}` as 'train_loss'])).toBe(true);
    expect(last.train_rewards_margin).toBeCloseTo(
      last.train_rewards_chosen! - last.train_rewards_rejected!,
      5,
    );
    expect(last.valid_rewards_accuracy).toBe(1);
    expect(last.valid_rewards_margin!).toBeGreaterThan(first.valid_rewards_margin!);
    expect(last.train_loss).toBeLessThan(Math.log(2));
    expect(last.full_valid_loss).toBe(last.valid_loss);
    model.dispose();
  });

  it('a run interrupted and resumed from its checkpoint keeps its reference and ends where an uninterrupted one ends', async () => {
    const hp: Settings = {
      n_epochs: 3,
      batch_size: 4,
      gradient_accumulation_steps: 2,
      learning_rate: 0.05,
      beta: 0.2,
      label_smoothing: 0.1,
      eval_interval_steps: 2,
      checkpoint_interval_steps: 2,
      seed: 4,
    };
    const full = new TinyModel(30, 8, 0, 1);
    const r0 = await trainer(full, hp).run();
    const expected = snapshotWeights(full);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tp-dpo-'));
    dirs.push(dir);
    const ckpts = new CheckpointManager(localStorage(dir), 2);
    const first = new TinyModel(30, 8, 0, 1);
    const r1 = await trainer(first, hp, { checkpointer: ckpts, shouldStop: (next) => next === 3 }).run();
    expect(r1.status).toBe('interrupted');
    // Another process with other starting weights: recomputing the reference from them would differ.
    const second = new TinyModel(30, 8, 0, 77);
    const r2 = await trainer(second, hp, { checkpointer: ckpts }).run();
    expect(r2.resumedFrom).toBe(3);
    expect(r2.steps).toBe(r0.steps);
    expect(maxAbsDiff(snapshotWeights(second), expected)).toBeLessThanOrEqual(1e-6);
    [full, first, second].forEach((m) => m.dispose());
  });

  it('stops early on valid_rewards_accuracy, which only preference data has', async () => {
    const model = new TinyModel(30);
    const result = await trainer(model, {
      n_epochs: 20,
      batch_size: 4,
      learning_rate: 0.05,
      eval_interval_steps: 2,
      early_stopping: { metric: 'valid_rewards_accuracy', patience: 2, min_delta: 0, restore_best: true },
    }).run();
    expect(result.status).toBe('early_stopped');
    expect(
      () =>
        new Trainer({
          config: config({
            early_stopping: {
              metric: 'valid_rewards_accuracy',
              patience: 2,
              min_delta: 0,
              restore_best: true,
            },
          }),
          model,
          train: loadDataset(textLines(20), tok, { maxLength: 16 }),
          validation: loadDataset(textLines(5, 2), tok, { maxLength: 16 }),
          padId: tok.padId,
        }),
    ).toThrow(ConfigError);
    model.dispose();
  });
});
