/**
 * The container entry's job run against the embedded stack (dynalite + s3rver through the real
 * DynamoDB/S3 adapters): a queued job is trained from its files and base model in the blob store,
 * reports metrics events, checkpoint records and progress, uploads the fine-tuned model in HF
 * layout and ends succeeded; an interrupted attempt exits 75 and the next one resumes; bad data
 * fails the job with a reason naming the line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timeSortedIds } from '../../../functions/domain/ids';
import { resumeJob } from '../../../functions/domain/jobs';
import { modelCatalog } from '../../../functions/domain/models';
import { transitionJob } from '../../../functions/domain/lifecycle';
import type { JobRecord } from '../../../functions/domain/records';
import { systemClock } from '../../../functions/ports/clock';
import { resolveTrainerConfig } from '../../../runner/config';
import { loadPretrained, memoryModelFolder, savePretrained } from '../../../runner/io';
import { createModel, parseModelConfig } from '../../../runner/model';
import { buildCharTokenizer } from '../../../runner/tokenizer';
import { runJob } from '../../../runner/entry/run-job';
import { startEmbedded, type Embedded } from '../../support/embedded';
import { fileRecord, jobRecord } from '../../support/records';
import { shakespeare } from './fixtures';

let env: Embedded;
const tenant = 'tenant-a';
const ids = timeSortedIds(systemClock);
const text = shakespeare().slice(0, 4000);

beforeAll(async () => {
  env = await startEmbedded();
  // A tiny base model, registered as a system model like runner/base-models are.
  const tok = buildCharTokenizer(text + '{}":,abcdefghijklmnopqrstuvwxyz');
  const model = createModel(
    parseModelConfig({
      model_type: 'llama',
      hidden_size: 16,
      intermediate_size: 32,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      max_position_embeddings: 48,
      vocab_size: tok.vocabSize,
      tie_word_embeddings: false,
    }),
    { seed: 1 },
  );
  const folder = memoryModelFolder();
  await savePretrained(folder, model, tok);
  model.dispose();
  for (const [name, bytes] of folder.files) await env.blobs.put(`models/tiny-base/${name}`, bytes);
  await env.stores.models.put({
    id: 'tiny-base',
    tenantId: 'system',
    createdAt: 0,
    ownedBy: 'tuneplane',
    blobPrefix: 'models/tiny-base/',
  });
}, 120_000);
afterAll(() => env?.stop());

async function putFile(content: string): Promise<string> {
  const file = fileRecord({ id: ids.next('file-'), tenantId: tenant, bytes: content.length });
  await env.blobs.put(file.blobKey, content);
  await env.stores.files.put(file);
  return file.id;
}

async function queuedJob(
  trainingFile: string,
  validationFile: string | null,
  hp: object,
  model = 'tiny-base',
): Promise<JobRecord> {
  const job = jobRecord({
    id: ids.next('ftjob-'),
    tenantId: tenant,
    model,
    trainingFile,
    validationFile,
    resolvedHyperparameters: resolveTrainerConfig(hp).hyperparameters as unknown as Record<string, unknown>,
    suffix: 'demo',
    seed: 7,
    progress: { step: 0, totalSteps: 0, epoch: 0 },
  });
  await env.stores.jobs.create(job);
  return job;
}

const pc = (i: number) =>
  JSON.stringify({
    prompt: text.slice(i * 30, i * 30 + 20),
    completion: text.slice(i * 30 + 20, i * 30 + 30),
  });
const jsonl = (n: number, from = 0) => Array.from({ length: n }, (_, i) => pc(from + i)).join('\n');
const hp = {
  n_epochs: 2,
  batch_size: 4,
  learning_rate: 1e-2,
  metrics_interval_steps: 2,
  eval_interval_steps: 4,
  checkpoint_interval_steps: 3,
  keep_checkpoints: 1,
};
const deps = () => ({ stores: env.stores, blobs: env.blobs, clock: systemClock, ids });
type JobEvent = Parameters<typeof env.stores.events.appendMany>[0][number];
/** The runner's deps with its batched event writes seen first by `appendMany` (which may throw). */
const depsWatchingEvents = (appendMany: (events: JobEvent[], metricsSteps: number[]) => void) => {
  const events = env.stores.events;
  return {
    ...deps(),
    stores: {
      ...env.stores,
      events: Object.assign(Object.create(events) as typeof events, {
        appendMany: async (es: JobEvent[]) => {
          appendMany(
            es,
            es.filter((e) => e.type === 'metrics').map((e) => e.data?.step as number),
          );
          return events.appendMany(es);
        },
      }),
    },
  };
};

describe('runner job entry on the embedded stack', () => {
  it('trains a queued job and reports everything through the stores', async () => {
    const job = await queuedJob(await putFile(jsonl(24)), await putFile(jsonl(8, 40)), hp);
    const code = await runJob(deps(), job.id, { log: () => undefined });
    expect(code).toBe(0);
    const done = (await env.stores.jobs.getById(job.id))!;
    expect(done.status).toBe('succeeded');
    expect(done.fineTunedModel).toMatch(/^ft:tiny-base:tenant-a:demo:/);
    expect(done.trainedTokens).toBeGreaterThan(0);
    expect(done.progress?.step).toBe(12);
    // The model is in the blob store in HF layout and loads.
    const prefix = `models/${done.fineTunedModel}/`;
    const files = new Map<string, Uint8Array>();
    for (const k of await env.blobs.list(prefix)) files.set(k.slice(prefix.length), await env.blobs.get(k));
    expect([...files.keys()].sort()).toEqual([
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const loaded = await loadPretrained(memoryModelFolder(files));
    expect(loaded.model.config.model_type).toBe('llama');
    loaded.model.dispose();
    expect(await env.stores.models.get(tenant, done.fineTunedModel!)).toBeDefined();
    // Metrics events under OpenAI's names; checkpoint records pointing at complete checkpoints.
    const events = (await env.stores.events.list(job.id, { limit: 100 })).items;
    const metrics = events.filter((e) => e.type === 'metrics');
    expect(metrics.length).toBe(6);
    expect(metrics.some((e) => typeof e.data?.full_valid_loss === 'number')).toBe(true);
    expect(metrics.every((e) => typeof e.data?.train_loss === 'number')).toBe(true);
    const ckpts = (await env.stores.checkpoints.list(job.id, { limit: 10 })).items;
    expect(ckpts.map((c) => c.stepNumber)).toContain(12);
    expect(await env.blobs.list(`checkpoints/${job.id}/step-00000012/`)).toContain(
      `checkpoints/${job.id}/step-00000012/manifest.json`,
    );
    // keep_checkpoints: 1 — the records of checkpoints the runner removed are gone too.
    for (const c of ckpts) expect(await env.blobs.head(`${c.blobPrefix}manifest.json`)).toBeDefined();
    expect(ckpts.length).toBeLessThanOrEqual(2); // the best one, and the newest a restart resumes from
    // OpenAI-style results file.
    const results = await env.stores.files.get(tenant, done.resultFiles[0]);
    const csv = new TextDecoder().decode(await env.blobs.get(results!.blobKey));
    expect(csv.split('\n')[0]).toBe(
      'step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy,full_valid_loss,full_valid_mean_token_accuracy,accuracy',
    );
  }, 240_000);

  it('max_steps ends the job after that many steps, mid-epoch, and its last checkpoint and report are there', async () => {
    // 24 examples in batches of 4: 6 steps an epoch, 12 over n_epochs 2; max_steps stops at 5
    const job = await queuedJob(await putFile(jsonl(24)), null, { ...hp, max_steps: 5 });
    expect(await runJob(deps(), job.id, { log: () => undefined })).toBe(0);
    const done = (await env.stores.jobs.getById(job.id))!;
    expect(done.status).toBe('succeeded');
    expect(done.progress?.step).toBe(5);
    const events = (await env.stores.events.list(job.id, { limit: 100 })).items;
    const steps = events.filter((e) => e.type === 'metrics').map((e) => e.data?.step);
    expect(Math.max(...(steps as number[]))).toBe(5);
    const ckpts = (await env.stores.checkpoints.list(job.id, { limit: 10 })).items;
    expect(ckpts.map((c) => c.stepNumber)).toContain(5);
  }, 240_000);

  it('streams its data files from the blob store (a file larger than memory is never read whole)', async () => {
    const train = await putFile(jsonl(24));
    const validation = await putFile(jsonl(8, 40));
    const dataKeys = new Set(
      await Promise.all(
        [train, validation].map(async (f) => (await env.stores.files.get(tenant, f))!.blobKey),
      ),
    );
    const streamed: string[] = [];
    // The blob store as the runner sees it: reading a data file whole fails the job.
    const blobs = Object.create(env.blobs) as typeof env.blobs;
    blobs.get = (key) =>
      dataKeys.has(key) ? Promise.reject(new Error(`${key} read whole`)) : env.blobs.get(key);
    blobs.getStream = (key) => {
      streamed.push(key);
      return env.blobs.getStream(key);
    };
    const job = await queuedJob(train, validation, { ...hp, max_steps: 2 });
    expect(await runJob({ ...deps(), blobs }, job.id, { log: () => undefined })).toBe(0);
    expect((await env.stores.jobs.getById(job.id))!.status).toBe('succeeded');
    expect(streamed.filter((k) => dataKeys.has(k)).sort()).toEqual([...dataKeys].sort());
  }, 240_000);

  it('an interrupted attempt exits 75 after a checkpoint and the next attempt resumes and finishes', async () => {
    const job = await queuedJob(await putFile(jsonl(24)), null, { ...hp, checkpoint_interval_steps: 100 });
    let calls = 0;
    const first = await runJob(deps(), job.id, { shouldStop: () => ++calls > 5, log: () => undefined });
    expect(first).toBe(75);
    expect((await env.stores.jobs.getById(job.id))!.status).toBe('running');
    const ckpt = (await env.stores.checkpoints.list(job.id, { limit: 1 })).items[0];
    expect(ckpt.stepNumber).toBeGreaterThan(0);
    const second = await runJob(deps(), job.id, { log: () => undefined });
    expect(second).toBe(0);
    expect((await env.stores.jobs.getById(job.id))!.status).toBe('succeeded');
    const events = (await env.stores.events.list(job.id, { limit: 100 })).items;
    expect(
      events.some((e) => e.message.startsWith(`Resumed from the checkpoint at step ${ckpt.stepNumber}`)),
    ).toBe(true);
  }, 240_000);

  it('a failed job with a checkpoint, resumed, continues as a new job and ends where an uninterrupted run ends', async () => {
    const train = await putFile(jsonl(24));
    const settings = { ...hp, checkpoint_interval_steps: 100 };
    const failed = await queuedJob(train, null, settings);
    let calls = 0;
    expect(await runJob(deps(), failed.id, { shouldStop: () => ++calls > 5, log: () => undefined })).toBe(75);
    const ckpt = (await env.stores.checkpoints.list(failed.id, { limit: 1 })).items[0];
    expect(ckpt.stepNumber).toBeGreaterThan(0);
    // The dispatcher gave up on it (interrupted too often): the job failed, its checkpoint stays.
    await transitionJob(deps(), failed.id, 'failed', {
      patch: { error: { code: 'runner_interrupted', message: 'interrupted', param: null } },
    });

    const models = modelCatalog({ models: env.stores.models, blobs: env.blobs });
    const next = await resumeJob({ ...deps(), models, defaultProvider: 'local' }, tenant, failed.id);
    expect(next.id).not.toBe(failed.id);
    expect(next.resumedFrom).toEqual({ jobId: failed.id, step: ckpt.stepNumber });
    expect(await runJob(deps(), next.id, { log: () => undefined })).toBe(0);
    const done = (await env.stores.jobs.getById(next.id))!;
    expect(done.status).toBe('succeeded');
    expect((await env.stores.jobs.getById(failed.id))!.status).toBe('failed');
    const events = (await env.stores.events.list(next.id, { limit: 100 })).items;
    expect(
      events.some((e) => e.message.startsWith(`Resumed from the checkpoint at step ${ckpt.stepNumber}`)),
    ).toBe(true);

    const straight = await queuedJob(train, null, settings);
    expect(await runJob(deps(), straight.id, { log: () => undefined })).toBe(0);
    const reference = (await env.stores.jobs.getById(straight.id))!;
    expect(done.progress).toEqual(reference.progress);
  }, 240_000);

  it('fine-tunes a classifier: sorted labels become the head, accuracy is reported', async () => {
    const rows = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) =>
        JSON.stringify({
          text: text.slice((from + i) * 20, (from + i) * 20 + 16),
          label: (from + i) % 3 === 0 ? 'zeta' : 'alpha',
        }),
      ).join('\n');
    const job = await queuedJob(await putFile(rows(0, 24)), await putFile(rows(30, 9)), {
      ...hp,
      n_epochs: 1,
      sampling: { strategy: 'stratified' },
    });
    expect(await runJob(deps(), job.id, { log: () => undefined })).toBe(0);
    const done = (await env.stores.jobs.getById(job.id))!;
    expect(done.status).toBe('succeeded');
    const config = JSON.parse(
      new TextDecoder().decode(await env.blobs.get(`models/${done.fineTunedModel}/config.json`)),
    );
    expect(config.architectures).toEqual(['LlamaForSequenceClassification']);
    expect(config.id2label).toEqual({ 0: 'alpha', 1: 'zeta' });
    const metrics = (await env.stores.events.list(job.id, { limit: 100 })).items.filter(
      (e) => e.type === 'metrics',
    );
    expect(metrics.some((e) => typeof e.data?.accuracy === 'number')).toBe(true);
  }, 240_000);

  it('writes metrics behind the training: a failed metrics write still ends the run with its error', async () => {
    const job = await queuedJob(await putFile(jsonl(24)), null, { ...hp, metrics_interval_steps: 1 });
    const batches: number[][] = [];
    let failed = false;
    let stepsAfterFailure = 0;
    const failing = depsWatchingEvents((_, steps) => {
      if (steps.length && !failed && batches.length === 2) {
        failed = true;
        throw new Error('table unavailable');
      }
      if (steps.length) batches.push(steps);
    });
    const logged: string[] = [];
    const code = await runJob(failing, job.id, {
      log: (l) => logged.push(l),
      // A write whenever none is in flight, so the third comes within the first steps.
      writeEveryMs: 0,
      // Polled between steps: counts the steps trained once the write had failed.
      shouldStop: () => {
        if (failed) stepsAfterFailure++;
        return false;
      },
    });
    // Not the user's fault: the attempt fails for a retry, with the store's error logged.
    expect(code).toBe(1);
    expect(logged.join('\n')).toContain('table unavailable');
    const after = (await env.stores.jobs.getById(job.id))!;
    expect(after.status).toBe('running');
    // Progress is the newest step written; the run stopped within a step of the failed write
    // rather than training to the end.
    expect(after.progress?.step).toBe(batches[1]!.at(-1));
    expect(stepsAfterFailure).toBeLessThanOrEqual(2);
    const written = (await env.stores.events.list(job.id, { limit: 200 })).items.filter(
      (e) => e.type === 'metrics',
    );
    expect(written.map((e) => e.data?.step as number).sort((a, b) => a - b)).toEqual(batches.flat());
  }, 60_000);

  it('writes a job reporting every step at most about once a second, every step still recorded in order', async () => {
    const job = await queuedJob(await putFile(jsonl(48)), null, {
      ...hp,
      n_epochs: 4,
      metrics_interval_steps: 1,
      checkpoint_interval_steps: 1000,
    });
    const writes: { at: number; steps: number[] }[] = [];
    const counting = depsWatchingEvents((_, steps) => {
      if (steps.length) writes.push({ at: performance.now(), steps });
    });
    const started = performance.now();
    expect(await runJob(counting, job.id, { log: () => undefined })).toBe(0);
    const seconds = (performance.now() - started) / 1000;
    const steps = writes.flatMap((w) => w.steps);
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
    expect(steps.length).toBe(48);
    // The first step at once; after it, one write a second at most, plus the final flush and
    // one for each message (a message writes the reports before it first).
    expect(writes[0]!.steps).toEqual([1]);
    const messages = (await env.stores.events.list(job.id, { limit: 200 })).items.filter(
      (e) => e.type === 'message',
    ).length;
    expect(writes.length).toBeLessThanOrEqual(Math.ceil(seconds) + 2 + messages);
    expect(writes.length).toBeLessThan(24);
    const done = (await env.stores.jobs.getById(job.id))!;
    expect(done.progress?.step).toBe(48);
    const listed = (await env.stores.events.list(job.id, { limit: 200 })).items
      .filter((e) => e.type === 'metrics')
      .map((e) => e.data?.step as number);
    // Newest first, as OpenAI lists them.
    expect(listed).toEqual(Array.from({ length: 48 }, (_, i) => 48 - i));
  }, 120_000);

  it('fails the job, naming the line, when the training file is bad (exit 0: a retry cannot help)', async () => {
    const job = await queuedJob(await putFile(`${pc(0)}\n{"prompt": "x"}\n`), null, hp);
    expect(await runJob(deps(), job.id, { log: () => undefined })).toBe(0);
    const failed = (await env.stores.jobs.getById(job.id))!;
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toMatch(/^line 2: .*completion/);
    expect(failed.error?.param).toBe('completion');
  }, 60_000);

  it('fails the job with the setting named when the hyperparameters cannot work together', async () => {
    const early = { metric: 'valid_loss' as const, patience: 2, min_delta: 0, restore_best: false };
    const job = await queuedJob(await putFile(jsonl(8)), null, { ...hp, early_stopping: early });
    expect(await runJob(deps(), job.id, { log: () => undefined })).toBe(0);
    const failed = (await env.stores.jobs.getById(job.id))!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({
      code: 'invalid_value',
      message: 'early_stopping needs a validation file',
      param: 'hyperparameters.early_stopping',
    });
  }, 60_000);

  it('fails the job naming the missing file when the base model folder is incomplete', async () => {
    for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
      await env.blobs.put(`models/no-weights/${name}`, await env.blobs.get(`models/tiny-base/${name}`));
    const base = { id: 'no-weights', tenantId: 'system', createdAt: 0, ownedBy: 'tuneplane' };
    await env.stores.models.put({ ...base, blobPrefix: 'models/no-weights/' });
    const job = await queuedJob(await putFile(jsonl(8)), null, hp, 'no-weights');
    expect(await runJob(deps(), job.id, { log: () => undefined })).toBe(0);
    const failed = (await env.stores.jobs.getById(job.id))!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'invalid_model_folder', param: 'model.model.safetensors' });
  }, 60_000);
});
