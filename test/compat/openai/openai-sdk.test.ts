/**
 * The official `openai` SDK (v6), pointed at our API over real HTTP on loopback, works end to end:
 * files, fine-tuning jobs (create, list with auto-pagination, retrieve, cancel, pause, resume,
 * events, checkpoints) and models, and our errors surface as its typed errors.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI, { BadRequestError, NotFoundError, PermissionDeniedError, AuthenticationError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transitionJob } from '../../../functions/domain/lifecycle';
import { systemClock } from '../../../functions/ports/clock';
import { chatJsonl } from '../../api/data';
import { BASE_MODEL, startApi, type ApiHarness } from '../../api/support';

let api: ApiHarness;
let server: { baseUrl: string; close(): Promise<void> };
let client: OpenAI;
let dir: string;
let fileId: string;

beforeAll(async () => {
  api = await startApi();
  server = await api.listen();
  client = new OpenAI({ apiKey: api.keyA, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
  dir = await mkdtemp(path.join(tmpdir(), 'tuneplane-openai-'));
});
afterAll(async () => {
  await server?.close();
  await api?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('openai SDK against Tuneplane', () => {
  it('uploads a file from a ReadStream and reads it back', async () => {
    const p = path.join(dir, 'train.jsonl');
    const content = chatJsonl(20);
    await writeFile(p, content);
    const file = await client.files.create({ file: createReadStream(p), purpose: 'fine-tune' });
    expect(file).toMatchObject({
      object: 'file',
      filename: 'train.jsonl',
      purpose: 'fine-tune',
      status: 'processed',
      bytes: Buffer.byteLength(content),
    });
    expect(file.id).toMatch(/^file-/);
    fileId = file.id;

    expect(await client.files.retrieve(file.id)).toMatchObject({ id: file.id, status: 'processed' });
    expect(await (await client.files.content(file.id)).text()).toBe(content);
    const listed = await client.files.list({ purpose: 'fine-tune' });
    expect(listed.data.map((f) => f.id)).toContain(file.id);
  });

  it('uploads a File object and deletes it', async () => {
    const file = await client.files.create({
      file: new File([chatJsonl(10)], 'small.jsonl'),
      purpose: 'fine-tune',
    });
    expect(await client.files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
    await expect(client.files.retrieve(file.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('surfaces our 400s as BadRequestError with param and code', async () => {
    const err = await client.files
      .create({ file: new File(['just some prose\n'], 'prose.txt'), purpose: 'fine-tune' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.status).toBe(400);
    expect(err.param).toBe('file');
    expect(err.message).toMatch(/line 1: not JSONL/);

    const hp = await client.fineTuning.jobs
      .create({
        model: BASE_MODEL,
        training_file: fileId,
        method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 0 } } },
      })
      .catch((e) => e);
    expect(hp).toBeInstanceOf(BadRequestError);
    expect(hp.param).toBe('method.supervised.hyperparameters.n_epochs');
  });

  it('creates, retrieves, and cancels a job', async () => {
    const job = await client.fineTuning.jobs.create({
      model: BASE_MODEL,
      training_file: fileId,
      hyperparameters: { n_epochs: 2 },
      suffix: 'compat',
      seed: 7,
      metadata: { suite: 'compat' },
    });
    expect(job).toMatchObject({
      object: 'fine_tuning.job',
      model: BASE_MODEL,
      status: 'queued',
      training_file: fileId,
      seed: 7,
      metadata: { suite: 'compat' },
      fine_tuned_model: null,
    });
    expect(job.id).toMatch(/^ftjob-/);
    expect(job.hyperparameters.n_epochs).toBe(2);
    expect(job.method?.supervised?.hyperparameters?.n_epochs).toBe(2);

    expect((await client.fineTuning.jobs.retrieve(job.id)).id).toBe(job.id);
    const cancelled = await client.fineTuning.jobs.cancel(job.id);
    expect(cancelled.status).toBe('cancelled');

    const events = await client.fineTuning.jobs.listEvents(job.id, { limit: 10 });
    expect(events.data.length).toBeGreaterThanOrEqual(3);
    expect(events.data[0]).toMatchObject({ object: 'fine_tuning.job.event', level: 'info' });
    expect(events.data.map((e) => e.message).join('\n')).toMatch(/cancelled/);
  });

  it('pauses and resumes a running job', async () => {
    const job = await client.fineTuning.jobs.create({ model: BASE_MODEL, training_file: fileId });
    await transitionJob({ stores: api.env.stores, clock: systemClock }, job.id, 'running');
    expect((await client.fineTuning.jobs.pause(job.id)).status).toBe('paused');
    expect((await client.fineTuning.jobs.resume(job.id)).status).toBe('queued');
  });

  it('auto-paginates the job list and filters by metadata', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(
        (
          await client.fineTuning.jobs.create({
            model: BASE_MODEL,
            training_file: fileId,
            metadata: { batch: 'paging' },
          })
        ).id,
      );
    }
    const seen: string[] = [];
    for await (const job of client.fineTuning.jobs.list({ limit: 2, metadata: { batch: 'paging' } }))
      seen.push(job.id);
    expect(seen).toEqual([...ids].reverse());
    const page = await client.fineTuning.jobs.list({ limit: 1 });
    expect(page.hasNextPage()).toBe(true);
  });

  it('lists checkpoints', async () => {
    const job = await client.fineTuning.jobs.create({ model: BASE_MODEL, training_file: fileId });
    await api.env.stores.checkpoints.put({
      id: `ftckpt-${job.id.slice(6)}`,
      jobId: job.id,
      tenantId: 'tenant-a',
      createdAt: 1_700_000_000,
      stepNumber: 5,
      metrics: { train_loss: 1.25, valid_loss: 1.5 },
      fineTunedModelCheckpoint: `ft:${BASE_MODEL}:tenant-a::${job.id}:ckpt-step-5`,
      blobPrefix: `checkpoints/${job.id}/5`,
    });
    const page = await client.fineTuning.jobs.checkpoints.list(job.id);
    expect(page.data).toHaveLength(1);
    expect(page.data[0]).toMatchObject({
      object: 'fine_tuning.job.checkpoint',
      fine_tuning_job_id: job.id,
      step_number: 5,
      metrics: { step: 5, train_loss: 1.25, valid_loss: 1.5 },
    });
  });

  it('lists and retrieves models; base models cannot be deleted', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain(BASE_MODEL);
    expect(await client.models.retrieve(BASE_MODEL)).toMatchObject({
      id: BASE_MODEL,
      object: 'model',
      owned_by: 'tuneplane',
    });
    await expect(client.models.delete(BASE_MODEL)).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it('rejects a wrong key with AuthenticationError', async () => {
    const stranger = new OpenAI({ apiKey: 'tp_wrong', baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
    await expect(stranger.models.list()).rejects.toBeInstanceOf(AuthenticationError);
  });
});
