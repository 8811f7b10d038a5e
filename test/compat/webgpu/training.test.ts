/**
 * A short training run on the WebGPU backend, as a job runs it (runner/train's session: AdamW,
 * warmup + cosine schedule, dropout, gradient clipping over 52 weights, evaluation, checkpoints):
 *  - step for step, its losses, gradient norms and final weights are the CPU path's;
 *  - stopped after step 4 (as on SIGTERM) and resumed from its checkpoint, it ends where the
 *    uninterrupted run ends.
 *
 * Tolerances. WebGPU vs CPU: 1e-4 relative on losses and norms, 1e-3 of the largest weight change
 * on the weights. float32 sums in other orders differ in the last bits each step, and AdamW's m/√v
 * turns a tiny difference in a near-zero gradient into up to lr per step in that weight, so weights
 * drift more than losses (measured on llvmpipe: losses 7e-8, norms 2e-7, weights 7e-5 of the change).
 * Resume vs uninterrupted, both on WebGPU: 1e-5; the embedding gradient is an atomic scatter-add
 * whose summation order a GPU need not fix, so bitwise equality (what llvmpipe gives) is not required.
 * Time limits are generous: on a software renderer each step is slow, more so on a busy machine.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointManager, localStorage } from '../../../runner/checkpoint';
import type { MetricsReport } from '../../../runner/train';
import { runSession } from '../../../runner/train/session';
import { shakespeare } from '../../integration/runner/fixtures';
import { deviceErrors, useWebGpu } from './setup';

const webgpu = await useWebGpu('test/compat/webgpu training');

const text = shakespeare();
const TRAIN = text.slice(0, 16 * 32);
const VALID = text.slice(20_000, 20_000 + 8 * 32);
const MODEL = {
  config: { model_type: 'gpt2', n_positions: 32, n_embd: 32, n_layer: 4, n_head: 4, resid_pdrop: 0.1 },
};
const HYPERPARAMETERS = {
  n_epochs: 2,
  batch_size: 4,
  learning_rate: 3e-3,
  optimizer: 'adamw',
  weight_decay: 0.1,
  warmup_steps: 2,
  lr_scheduler: 'cosine',
  dropout: 0.1,
  max_grad_norm: 0.5,
  metrics_interval_steps: 1,
  eval_interval_steps: 5,
  checkpoint_interval_steps: 100,
  seed: 7,
};

interface Run {
  metrics: MetricsReport[];
  messages: string[];
  weights: Map<string, Float32Array>;
  status: string;
  steps: number;
}

async function train(opts: { dir?: string; stopAt?: number } = {}): Promise<Run> {
  const metrics: MetricsReport[] = [];
  const messages: string[] = [];
  const session = await runSession({
    model: MODEL,
    train: TRAIN,
    validation: VALID,
    hyperparameters: HYPERPARAMETERS,
    checkpointer: opts.dir ? new CheckpointManager(localStorage(opts.dir), 2) : undefined,
    shouldStop: (next) => next === opts.stopAt,
    sink: { metrics: (m) => void metrics.push(m), message: (_l, t) => void messages.push(t) },
  });
  const weights = new Map<string, Float32Array>();
  for (const [name, v] of session.model.weights) weights.set(name, (await v.data()) as Float32Array);
  session.model.dispose();
  return { metrics, messages, weights, status: session.result.status, steps: session.result.steps };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

function maxWeightDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let d = 0;
  for (const [name, x] of a) {
    const y = b.get(name)!;
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  }
  return d;
}

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe.skipIf(!webgpu)('training on WebGPU', () => {
  let cpu: Run;
  let gpu: Run;

  it('matches the CPU path step for step: losses, gradient norms, validation, final weights', async () => {
    await tf.setBackend('cpu');
    const initial = await train({ stopAt: 0 }); // weights before any step (stopped at once)
    cpu = await train();
    await tf.setBackend('webgpu');
    gpu = await train();
    expect(deviceErrors()).toEqual([]);
    expect(gpu.status).toBe('completed');
    expect(gpu.steps).toBe(cpu.steps);
    expect(gpu.steps).toBeGreaterThan(6);
    expect(gpu.metrics.map((m) => m.step)).toEqual(cpu.metrics.map((m) => m.step));
    // Clipping was active (norms above 0.5) and every gradient counted (AddN over 52 of them).
    expect(Math.max(...gpu.metrics.map((m) => m.grad_norm!))).toBeGreaterThan(0.5);
    gpu.metrics.forEach((m, i) => {
      const c = cpu.metrics[i];
      expect(rel(m.train_loss, c.train_loss), `train_loss at step ${m.step}`).toBeLessThan(1e-4);
      expect(rel(m.grad_norm!, c.grad_norm!), `grad_norm at step ${m.step}`).toBeLessThan(1e-4);
      expect(m.train_mean_token_accuracy).toBeCloseTo(c.train_mean_token_accuracy, 6);
      if (c.full_valid_loss !== undefined)
        expect(rel(m.full_valid_loss!, c.full_valid_loss), `full_valid_loss at ${m.step}`).toBeLessThan(1e-4);
    });
    const moved = maxWeightDiff(cpu.weights, initial.weights);
    expect(moved).toBeGreaterThan(1e-3);
    expect(maxWeightDiff(gpu.weights, cpu.weights) / moved).toBeLessThan(1e-3);
  }, 300_000);

  it('stopped after step 4 and resumed from its checkpoint, ends where the uninterrupted run ends', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tuneplane-webgpu-resume-'));
    dirs.push(dir);
    const first = await train({ dir, stopAt: 4 });
    expect(first.status).toBe('interrupted');
    expect(first.steps).toBe(4);
    const second = await train({ dir });
    expect(second.messages).toContain('Resumed from the checkpoint at step 4.');
    expect(second.status).toBe('completed');
    expect(second.steps).toBe(gpu.steps);
    expect(deviceErrors()).toEqual([]);
    const resumed = [...first.metrics, ...second.metrics];
    expect(resumed.map((m) => m.step)).toEqual(gpu.metrics.map((m) => m.step));
    resumed.forEach((m, i) => {
      expect(rel(m.train_loss, gpu.metrics[i].train_loss), `train_loss at step ${m.step}`).toBeLessThan(1e-5);
    });
    expect(maxWeightDiff(second.weights, gpu.weights)).toBeLessThan(1e-5);
  }, 300_000);
});
