/**
 * Preference tuning as an `openai` SDK user does it, against `npm start`: upload preference files
 * in OpenAI's format, create a job with OpenAI's exact DPO request shape (nothing of ours in it), and
 * it trains on our own runner, reporting TRL's preference figures in its metrics events and
 * checkpoints. Then the fine-tuned model is tuned again (`model: "ft:…"`), and /v1/models shows the
 * new model's lineage.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import type { FineTuningJob } from 'openai/resources/fine-tuning/jobs/jobs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonl } from '../../api/data';
import { freePort, start, stop, type Running } from '../../support/npm-start';

let stack: Running;
let client: OpenAI;

beforeAll(async () => {
  stack = await start({
    PORT: String(await freePort()),
    TUNEPLANE_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'tuneplane-dpo-')),
    TUNEPLANE_API_KEY: 'tp_e2e_dpo_key_0123456789',
  });
  client = new OpenAI({ apiKey: stack.apiKey, baseURL: stack.baseUrl, maxRetries: 0 });
}, 90_000);

afterAll(async () => {
  if (stack) await stop(stack);
});

/** Short pairs (the built-in model reads characters, 128 at most): the preferred answer shouts. */
function pairs(n: number, offset: number): string {
  const words = ['cat', 'dog', 'sun', 'sea', 'owl', 'fox', 'bee', 'elk', 'yak', 'ant', 'ram', 'hen'];
  return jsonl(
    Array.from({ length: n }, (_, i) => {
      const w = words[(i + offset) % words.length];
      return {
        input: { messages: [{ role: 'user', content: `shout ${w}` }] },
        preferred_output: [{ role: 'assistant', content: w.toUpperCase() }],
        non_preferred_output: [{ role: 'assistant', content: w }],
      };
    }),
  );
}

async function finished(id: string): Promise<FineTuningJob> {
  const end = Date.now() + 240_000;
  for (;;) {
    const job = await client.fineTuning.jobs.retrieve(id);
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    if (Date.now() > end) throw new Error(`job ${id} still ${job.status}\n${stack.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('DPO through the openai SDK on our runner', () => {
  it('trains a DPO job created in OpenAI’s shape, reports preference metrics, and tunes the result again', async () => {
    const base = (await client.models.list()).data.find((m) => !m.id.startsWith('ft:'))!;
    const training = await client.files.create({
      file: new File([pairs(24, 0)], 'prefs.jsonl'),
      purpose: 'fine-tune',
    });
    const validation = await client.files.create({
      file: new File([pairs(12, 5)], 'prefs-valid.jsonl'),
      purpose: 'fine-tune',
    });
    expect(training.status).toBe('processed');

    const job = await client.fineTuning.jobs.create({
      model: base.id,
      training_file: training.id,
      validation_file: validation.id,
      seed: 7,
      method: { type: 'dpo', dpo: { hyperparameters: { beta: 0.1, n_epochs: 2, batch_size: 4 } } },
    });
    expect(job.method).toMatchObject({ type: 'dpo', dpo: { hyperparameters: { beta: 0.1, n_epochs: 2 } } });

    const done = await finished(job.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.fine_tuned_model).toMatch(new RegExp(`^ft:${base.id}:`));

    const events = [];
    for await (const e of client.fineTuning.jobs.listEvents(job.id, { limit: 100 })) events.push(e);
    const metrics = events.filter((e) => e.type === 'metrics').map((e) => e.data as Record<string, number>);
    expect(metrics.length).toBeGreaterThan(0);
    for (const m of metrics) {
      expect(Number.isFinite(m.train_loss)).toBe(true);
      for (const k of ['train_rewards_chosen', 'train_rewards_rejected', 'train_rewards_margin'])
        expect(Number.isFinite(m[k]), k).toBe(true);
      expect(m.train_rewards_accuracy).toBeGreaterThanOrEqual(0);
      expect(m.train_rewards_accuracy).toBeLessThanOrEqual(1);
    }
    expect(metrics.some((m) => Number.isFinite(m.valid_rewards_accuracy))).toBe(true);
    // OpenAI's result file: the metrics per step, with the reward columns
    const csv = await (await client.files.content(done.result_files[0])).text();
    expect(csv.split('\n')[0]).toMatch(/,train_rewards_chosen,.*,valid_rewards_accuracy$/);
    const checkpoints = (await client.fineTuning.jobs.checkpoints.list(job.id)).data;
    expect(checkpoints.length).toBeGreaterThan(0);
    expect(checkpoints[0].metrics).toHaveProperty('train_loss');

    // Tuning the tuned model again, as OpenAI allows: the new model names its lineage.
    const again = await client.fineTuning.jobs.create({
      model: done.fine_tuned_model!,
      training_file: training.id,
      seed: 8,
      method: { type: 'dpo', dpo: { hyperparameters: { n_epochs: 1, batch_size: 4 } } },
    });
    const second = await finished(again.id);
    expect(second.status).toBe('succeeded');
    expect(second.model).toBe(done.fine_tuned_model);
    const model = (await client.models.retrieve(second.fine_tuned_model!)) as unknown as {
      base_model: string | null;
      lineage: string[];
    };
    expect(model.base_model).toBe(done.fine_tuned_model);
    expect(model.lineage).toEqual([done.fine_tuned_model, base.id]);
  }, 600_000);
});
