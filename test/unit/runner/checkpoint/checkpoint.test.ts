import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  blobStorage,
  CheckpointManager,
  localStorage,
  onTerminate,
  decodeSafetensors,
  encodeSafetensors,
} from '../../../../runner/checkpoint';
import { loadDataset } from '../../../../runner/data';
import { Trainer, type TrainerOptions } from '../../../../runner/train';
import type { CheckpointBlobs } from '../../../../runner/checkpoint';
import type { Hyperparameters } from '../../../../openapi/schemas/hyperparameters';
import { NotFoundError } from '../../../../functions/errors';
import {
  charTokenizer as tok,
  config,
  maxAbsDiff,
  snapshotWeights,
  textLines,
  TinyModel,
} from '../train/helpers';

const train = loadDataset(textLines(50), tok, { maxLength: 16 });
const valid = loadDataset(textLines(10, 3), tok, { maxLength: 16 });
const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(path.join(os.tmpdir(), 'tp-ckpt-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const hp = {
  n_epochs: 3,
  batch_size: 4,
  gradient_accumulation_steps: 2,
  dropout: 0.1,
  learning_rate: 0.02,
  warmup_steps: 3,
  lr_scheduler: 'reduce_on_plateau' as const,
  eval_interval_steps: 4,
  checkpoint_interval_steps: 5,
  seed: 9,
  early_stopping: { metric: 'full_valid_loss' as const, patience: 50, min_delta: 0, restore_best: false },
};

/** A Trainer on the training and validation data, checkpointing through `checkpointer` if given. */
function trainer(
  model: TinyModel,
  h: Hyperparameters & { seed?: number },
  more: Partial<TrainerOptions> = {},
) {
  return new Trainer({ config: config(h), model, train, validation: valid, padId: tok.padId, ...more });
}

/** In-memory blobs with the BlobStore port's semantics (the S3 adapter is tested against s3rver by its owner). */
function memoryBlobs(): CheckpointBlobs & { keys(): string[] } {
  const m = new Map<string, Uint8Array>();
  return {
    keys: () => [...m.keys()],
    put: async (k, b) => void m.set(k, typeof b === 'string' ? new TextEncoder().encode(b) : b.slice()),
    get: async (k) => {
      const v = m.get(k);
      if (!v) throw new NotFoundError('blob', k);
      return v.slice();
    },
    delete: async (k) => void m.delete(k),
    list: async (p) => [...m.keys()].filter((k) => k.startsWith(p)).sort(),
  };
}

describe('resume', () => {
  it('a run interrupted at a random step and resumed ends with the same weights as an uninterrupted run', async () => {
    const full = new TinyModel(30, 8, 0, 1);
    const r0 = await trainer(full, hp).run();
    const expected = snapshotWeights(full);

    const ckpts = new CheckpointManager(localStorage(await tmp()), 2);
    const stopAt = 1 + Math.floor(Math.random() * (r0.totalSteps - 2));
    const first = new TinyModel(30, 8, 0, 1);
    const r1 = await trainer(first, hp, { checkpointer: ckpts, shouldStop: (next) => next === stopAt }).run();
    expect(r1.status).toBe('interrupted');
    // A new process: different fresh weights, everything comes from the checkpoint.
    const second = new TinyModel(30, 8, 0, 77);
    const r2 = await trainer(second, hp, { checkpointer: ckpts }).run();
    expect(r2.status).toBe('completed');
    expect(r2.resumedFrom).toBe(r1.steps);
    expect(r2.steps).toBe(r0.steps);
    expect(maxAbsDiff(snapshotWeights(second), expected)).toBeLessThanOrEqual(1e-6);
    [full, first, second].forEach((m) => m.dispose());
  });

  it('a finished run restarted does not train further', async () => {
    const ckpts = new CheckpointManager(localStorage(await tmp()), 1);
    const m = new TinyModel(30);
    await trainer(m, { ...hp, n_epochs: 1 }, { checkpointer: ckpts }).run();
    const w = snapshotWeights(m);
    const again = await trainer(m, { ...hp, n_epochs: 1 }, { checkpointer: ckpts }).run();
    expect(maxAbsDiff(snapshotWeights(m), w)).toBe(0);
    expect(again.resumedFrom).toBe(again.steps);
    m.dispose();
  });
});

describe('checkpoint storage', () => {
  async function trainWith(ckpts: CheckpointManager) {
    const m = new TinyModel(30);
    const h = { ...hp, n_epochs: 2, checkpoint_interval_steps: 2, keep_checkpoints: 2 };
    await trainer(m, h, { checkpointer: ckpts }).run();
    m.dispose();
  }

  it('keeps the best k by score plus the newest; only checkpoints with a manifest count', async () => {
    const storage = localStorage(await tmp());
    const ckpts = new CheckpointManager(storage, 2);
    await trainWith(ckpts);
    const ms = await ckpts.manifests();
    expect(ms.length).toBeGreaterThanOrEqual(2);
    expect(ms.length).toBeLessThanOrEqual(3);
    const files = await storage.list();
    // Nothing left of pruned checkpoints.
    expect(new Set(files.map((f) => f.split('/')[0]))).toEqual(new Set(ms.map((m) => m.id)));
    const newest = ms[0];
    expect(newest.files['model.safetensors'].bytes).toBeGreaterThan(0);
    // Without its manifest (a crash before the last write) the newest does not count.
    await storage.remove(`${newest.id}/manifest.json`);
    const latest = await ckpts.latest();
    expect(latest!.cursor.step).toBe(ms[1].step);
    // A file that does not match its manifest does not count either.
    await storage.write(`${ms[1].id}/optimizer.safetensors`, new Uint8Array([1, 2, 3]));
    const fallback = await ckpts.latest();
    expect(fallback?.cursor.step ?? null).toBe(ms[2]?.step ?? null);
    // The resolved config is in every checkpoint.
    const state = JSON.parse(new TextDecoder().decode(await storage.read(`${ms[1].id}/state.json`)));
    expect(state.config.hyperparameters.gradient_accumulation_steps).toBe(2);
  });

  it('works through the BlobStore port under checkpoints/<jobId>/', async () => {
    const blobs = memoryBlobs();
    const ckpts = new CheckpointManager(blobStorage(blobs, 'checkpoints/ftjob-1/'), 2);
    await trainWith(ckpts);
    expect(blobs.keys().every((k) => k.startsWith('checkpoints/ftjob-1/step-'))).toBe(true);
    expect(blobs.keys().some((k) => k.endsWith('/manifest.json'))).toBe(true);
    const latest = await ckpts.latest();
    expect(latest!.control.finished).toBe(true);
    tf.dispose([...latest!.weights.values(), ...latest!.optimizer.tensors.values()]);
  });

  it('safetensors round-trips names, shapes and values', async () => {
    const t = new Map<string, tf.Tensor>([
      [
        'a.weight',
        tf.tensor2d([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      ],
      ['b', tf.tensor1d([7.5])],
    ]);
    const { tensors, metadata } = decodeSafetensors(await encodeSafetensors(t, { format: 'pt' }));
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.get('a.weight')!.shape).toEqual([2, 3]);
    expect([...tensors.get('a.weight')!.dataSync()]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...tensors.get('b')!.dataSync()]).toEqual([7.5]);
    tf.dispose([...t.values(), ...tensors.values()]);
  });
});

describe('SIGTERM', () => {
  it('raises the stop flag and arms a watchdog that exits retryable if saving hangs', async () => {
    let expired = false;
    const flag = onTerminate({ graceMs: 20, onExpire: () => (expired = true) });
    expect(flag.requested).toBe(false);
    process.emit('SIGTERM');
    expect(flag.requested).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(expired).toBe(true);
    flag.release();
  });
});
