/**
 * Training from a file on disk (how the container entry and the CLI give data) reads it as a
 * stream and keeps its tokenized examples in a disk store for the session's length; it must train
 * exactly as the same text in memory does: the same losses, bit for bit, at every step and
 * evaluation, with weighted sampling reading the store's weights.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../runner/backend';
import type { MetricsReport } from '../../../runner/train/sink';
import { runSession, type SessionInput } from '../../../runner/train/session';
import { chatLines, writeChatJsonl } from '../../support/chat-data';

const folder = path.resolve(import.meta.dirname, '../../../runner/base-models/tuneplane-tiny-char');
let dir: string;

beforeAll(async () => {
  initBackend({ log: () => undefined });
  dir = await mkdtemp(path.join(tmpdir(), 'tp-streaming-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const hyperparameters = {
  n_epochs: 1,
  max_steps: 6,
  batch_size: 4,
  learning_rate: 3e-3,
  metrics_interval_steps: 1,
  eval_interval_steps: 3,
  max_sequence_length: 96,
  sampling: { strategy: 'weighted', weight_field: 'w' },
  seed: 11,
};

/** Every reported figure but the throughput (a timing). */
const figures = (reports: MetricsReport[]) => reports.map(({ tokens_per_second: _, ...m }) => m);

async function session(input: Pick<SessionInput, 'train' | 'validation' | 'dataDir'>, onStep?: () => void) {
  const reports: MetricsReport[] = [];
  const { result, model } = await runSession({
    model: { folder },
    ...input,
    hyperparameters,
    sink: {
      metrics: (m) => {
        reports.push(m);
        onStep?.();
      },
    },
  });
  model.dispose();
  return { result, reports };
}

describe('training from a file on disk', () => {
  it('streams it into a disk store and trains exactly as from memory', async () => {
    // A few MB of chat, each example with a sampling weight, so weighted draws read the store's weights.
    const raw = path.join(dir, 'raw.jsonl');
    await writeChatJsonl(raw, 3_000_000, 5);
    const rows = (await readFile(raw, 'utf8')).trimEnd().split('\n');
    const train = rows.map((l, i) => `${l.slice(0, -1)},"w":${1 + (i % 4)}}`).join('\n') + '\n';
    const chatLine = chatLines(9);
    const validation = Array.from({ length: 12 }, () => chatLine().replace(/}\n$/, ',"w":1}\n')).join('');
    const trainPath = path.join(dir, 'train.jsonl');
    const validationPath = path.join(dir, 'validation.jsonl');
    await writeFile(trainPath, train);
    await writeFile(validationPath, validation);
    expect(statSync(trainPath).size).toBeGreaterThan(2_500_000);

    const memory = await session({ train, validation });

    const dataDir = path.join(dir, 'work');
    await mkdir(dataDir);
    const store = path.join(dataDir, 'train.examples');
    const storeSizes: number[] = [];
    const disk = await session(
      { train: { path: trainPath }, validation: { path: validationPath }, dataDir },
      () => storeSizes.push(existsSync(store) ? statSync(store).size : 0),
    );

    // While training, the examples were on disk: uint16 ids plus a target byte, 3 bytes a token, for every example.
    expect(storeSizes).toHaveLength(6);
    expect(new Set(storeSizes).size).toBe(1);
    expect(storeSizes[0]).toBeGreaterThan(0);
    expect(storeSizes[0] % 3).toBe(0);
    // ... and gone once the session ended.
    expect(existsSync(store)).toBe(false);

    expect(disk.result.steps).toBe(6);
    expect(figures(disk.reports)).toEqual(figures(memory.reports));
    expect(disk.reports.filter((r) => r.full_valid_loss !== undefined)).toHaveLength(2);
  }, 300_000);
});
