/** Our own generated SDK (openapi/sdk) drives the API over real HTTP: typed calls, typed errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../openapi/sdk/client';
import {
  completeUpload,
  createFile,
  createFineTuningJob,
  createUpload,
  estimateFineTuningJob,
  listFineTuningJobEvents,
  listFineTuningJobs,
  listModels,
  retrieveFineTuningJob,
} from '../../openapi/sdk';
import { chatJsonl } from './data';
import { BASE_MODEL, startApi, type ApiHarness } from './support';

let api: ApiHarness;
let server: { baseUrl: string; close(): Promise<void> };
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  api = await startApi({ config: { uploadPartBytes: 64 * 1024 } });
  server = await api.listen();
  client = createClient({ baseUrl: server.baseUrl, headers: { Authorization: `Bearer ${api.keyA}` } });
});
afterAll(async () => {
  await server?.close();
  await api?.stop();
});

describe('generated SDK', () => {
  it('uploads, estimates, creates and reads a job', async () => {
    const file = await createFile({
      client,
      body: { file: new File([chatJsonl(30)], 'sdk.jsonl'), purpose: 'fine-tune' },
      throwOnError: true,
    });
    expect(file.data).toMatchObject({ status: 'processed', example_count: 30 });

    const body = {
      model: BASE_MODEL,
      training_file: file.data.id,
      method: { type: 'supervised' as const, supervised: { hyperparameters: { batch_size: 5 } } },
    };
    const estimate = await estimateFineTuningJob({ client, body, throwOnError: true });
    expect(estimate.data).toMatchObject({
      steps_per_epoch: 6,
      total_steps: 18,
      hyperparameters: { batch_size: 5, n_epochs: 3 },
    });

    const job = await createFineTuningJob({
      client,
      body,
      headers: { 'Idempotency-Key': 'sdk-1' },
      throwOnError: true,
    });
    // The job runs with what the estimate showed (the seed aside: the job draws one when none is given).
    expect(job.data.method.type === 'supervised' && job.data.method.supervised.hyperparameters).toEqual({
      ...estimate.data.hyperparameters,
      seed: job.data.seed,
    });
    const again = await createFineTuningJob({
      client,
      body,
      headers: { 'Idempotency-Key': 'sdk-1' },
      throwOnError: true,
    });
    expect(again.response.headers.get('Idempotent-Replayed')).toBe('true');
    expect(again.data.id).toBe(job.data.id);

    const got = await retrieveFineTuningJob({
      client,
      path: { fine_tuning_job_id: job.data.id },
      throwOnError: true,
    });
    expect(got.data.status).toBe('queued');
    const list = await listFineTuningJobs({ client, query: { limit: 1 }, throwOnError: true });
    expect(list.data).toMatchObject({ object: 'list', has_more: false, first_id: job.data.id });
    // The documented deepObject filter serialises as metadata[key]=value.
    await createFineTuningJob({ client, body: { ...body, metadata: { team: 'sdk' } }, throwOnError: true });
    const filtered = await listFineTuningJobs({
      client,
      query: { metadata: { team: 'sdk' } },
      throwOnError: true,
    });
    expect(filtered.data.data.map((j) => j.metadata)).toEqual([{ team: 'sdk' }]);
    const events = await listFineTuningJobEvents({
      client,
      path: { fine_tuning_job_id: job.data.id },
      throwOnError: true,
    });
    expect(events.data.data.length).toBeGreaterThan(0);
    const models = await listModels({ client, throwOnError: true });
    expect(models.data.data.map((m) => m.id)).toContain(BASE_MODEL);
  });

  it('returns the error envelope as a typed error', async () => {
    const res = await createFineTuningJob({
      client,
      body: { model: BASE_MODEL, training_file: 'file-none' },
    });
    expect(res.response.status).toBe(400);
    expect(res.error).toMatchObject({ error: { param: 'training_file', code: 'file_not_found' } });
  });

  it('runs a presigned multipart upload', async () => {
    const bytes = new TextEncoder().encode(chatJsonl(500)); // ~100 KB: two 64 KiB parts
    const up = await createUpload({
      client,
      body: {
        filename: 'u.jsonl',
        purpose: 'fine-tune',
        bytes: bytes.byteLength,
        mime_type: 'application/jsonl',
      },
      throwOnError: true,
    });
    expect(up.data.part_count).toBe(2);
    for (const part of up.data.parts!) {
      const start = (part.part_number - 1) * up.data.part_size;
      expect(
        (await fetch(part.url, { method: 'PUT', body: bytes.slice(start, start + up.data.part_size) }))
          .status,
      ).toBe(200);
    }
    const done = await completeUpload({
      client,
      path: { upload_id: up.data.id },
      body: {},
      throwOnError: true,
    });
    expect(done.data).toMatchObject({
      status: 'completed',
      file: { status: 'processed', example_count: 500 },
    });
  });
});
