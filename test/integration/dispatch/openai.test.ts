/**
 * The OpenAI path: the real `openai` SDK talks to a loopback stand-in of OpenAI's files and
 * fine-tuning endpoints; our job lives in the embedded DynamoDB and its file in the embedded S3.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { openAiDispatcher } from '../../../functions/adapters/openai/dispatcher';
import { openAiWebhookJobId } from '../../../functions/adapters/openai/webhook';
import {
  pollMirroredJobs,
  submitQueuedJob,
  submitUnsubmittedJobs,
  syncByProviderJobId,
  type DispatchDeps,
} from '../../../functions/domain/dispatch';
import type { JobRecord } from '../../../functions/domain/records';
import { startEmbedded, type Embedded } from '../../support/embedded';
import { fileRecord, jobRecord } from '../../support/records';
import { createApp } from '../../../functions/api/app';
import { timeSortedIds } from '../../../functions/domain/ids';
import { startOpenAiStandin, type OpenAiStandin } from '../../support/openai-standin';

let embedded: Embedded;
let openai: OpenAiStandin;
let client: OpenAI;
let deps: DispatchDeps;
let dispatcher: ReturnType<typeof openAiDispatcher>;
let n = 0;

const trainingJsonl = Array.from({ length: 10 }, (_, i) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: `q${i}` },
      { role: 'assistant', content: `a${i}` },
    ],
  }),
).join('\n');

async function queuedJob(
  hyperparameters: Record<string, unknown> = {},
  type: 'supervised' | 'dpo' = 'supervised',
): Promise<JobRecord> {
  n += 1;
  const fileId = `file-oaitest${n}`;
  await embedded.blobs.put(`files/tenant-a/${fileId}`, trainingJsonl);
  await embedded.stores.files.put(
    fileRecord({
      id: fileId,
      bytes: Buffer.byteLength(trainingJsonl),
      format: 'chat',
      exampleCount: 10,
      createdAt: Math.floor(Date.now() / 1000),
    }),
  );
  const job = jobRecord({
    id: `ftjob-oaitest${String(n).padStart(3, '0')}${Math.random().toString(36).slice(2, 8)}`,
    provider: 'openai',
    model: 'gpt-4o-mini-2024-07-18',
    trainingFile: fileId,
    method: { type, hyperparameters },
    resolvedHyperparameters: {
      n_epochs: 3,
      batch_size: 4,
      learning_rate_multiplier: 1.8,
      // a DPO job's resolved set: beta and label smoothing, and what the user set as they set it
      ...(type === 'dpo' ? { beta: 0.1, label_smoothing: 0, ...hyperparameters, batch_size: 4 } : {}),
    },
    suffix: 'mine',
    createdAt: Math.floor(Date.now() / 1000),
  });
  await embedded.stores.jobs.create(job);
  return job;
}

beforeAll(async () => {
  embedded = await startEmbedded();
  openai = await startOpenAiStandin();
  client = new OpenAI({ apiKey: 'sk-test', baseURL: openai.baseURL, maxRetries: 0 });
  deps = { stores: embedded.stores, clock: { nowMs: () => Date.now() } };
  dispatcher = openAiDispatcher({ client, files: embedded.stores.files, blobs: embedded.blobs });
});

afterAll(async () => {
  await openai?.close();
  await embedded?.stop();
});

const events = async (id: string) => (await embedded.stores.events.list(id, { limit: 100 })).items;
const stored = async (id: string) => (await embedded.stores.jobs.getById(id))!;

describe('OpenAI dispatch and mirroring', () => {
  it('uploads the training file and creates the job with the hyperparameters OpenAI understands', async () => {
    const job = await queuedJob({ n_epochs: 3, batch_size: 'auto', learning_rate_multiplier: 1.8 });
    const after = await submitQueuedJob(deps, { openai: dispatcher }, job);
    const remote = openai.jobs.get(after.providerJobId!)!;
    expect(remote.model).toBe('gpt-4o-mini-2024-07-18');
    expect(remote.hyperparameters).toEqual({ n_epochs: 3, learning_rate_multiplier: 1.8 });
    expect(remote.seed).toBe(42);
    expect(remote.user_provided_suffix).toBe('mine');
    expect(remote.metadata).toEqual({ tuneplane_job_id: job.id });
    expect(Buffer.from(openai.files.get(remote.training_file)!.bytes).toString()).toBe(trainingJsonl);
    expect(openai.requests.filter((r) => r.path === '/v1/fine_tuning/jobs').at(-1)?.idempotencyKey).toBe(
      `tuneplane-${job.id}`,
    );
  });

  it('passes a DPO job through as OpenAI’s own dpo method, with only the values the user set', async () => {
    const job = await queuedJob({ beta: 0.25, n_epochs: 2, batch_size: 'auto' }, 'dpo');
    const after = await submitQueuedJob(deps, { openai: dispatcher }, job);
    const remote = openai.jobs.get(after.providerJobId!)!;
    expect(remote.method).toEqual({ type: 'dpo', dpo: { hyperparameters: { n_epochs: 2, beta: 0.25 } } });
  });

  it('mirrors status, events, metrics, checkpoints and the model by polling, without duplicates', async () => {
    const job = await submitQueuedJob(deps, { openai: dispatcher }, await queuedJob());
    const rid = job.providerJobId!;
    openai.setJob(rid, { status: 'running' });
    openai.addEvent(rid, { message: 'Fine-tuning job started' });
    openai.addEvent(rid, {
      message: 'Step 10/30: training loss=1.20',
      type: 'metrics',
      data: { step: 10, train_loss: 1.2 },
    });
    openai.addCheckpoint(rid, 10, { step: 10, train_loss: 1.2 });
    expect((await pollMirroredJobs(deps, dispatcher, 'openai'))[job.id]).toBe('running');
    await pollMirroredJobs(deps, dispatcher, 'openai');
    const evs = await events(job.id);
    expect(evs.filter((e) => e.message === 'Step 10/30: training loss=1.20')).toHaveLength(1);
    expect(evs.find((e) => e.type === 'metrics')?.data).toMatchObject({ step: 10, train_loss: 1.2 });
    const ckpts = (await embedded.stores.checkpoints.list(job.id, { limit: 10 })).items;
    expect(ckpts).toHaveLength(1);
    expect(ckpts[0].stepNumber).toBe(10);
    expect(ckpts[0].fineTunedModelCheckpoint).toContain('ckpt-step-10');

    openai.setJob(rid, {
      status: 'succeeded',
      fine_tuned_model: 'ft:gpt-4o-mini:org::abc',
      trained_tokens: 12345,
    });
    expect((await pollMirroredJobs(deps, dispatcher, 'openai'))[job.id]).toBe('succeeded');
    // Terminal jobs are no longer polled.
    expect((await pollMirroredJobs(deps, dispatcher, 'openai'))[job.id]).toBeUndefined();
    const done = await stored(job.id);
    expect(done.status).toBe('succeeded');
    expect(done.fineTunedModel).toBe('ft:gpt-4o-mini:org::abc');
    expect(done.trainedTokens).toBe(12345);
    const outbox = (await embedded.stores.outbox.listPending(1000)).filter(
      (o) => o.subjectId === job.id && o.type.endsWith('succeeded'),
    );
    expect(outbox).toHaveLength(1);
  });

  it('acts on OpenAI’s signed webhooks, verified with the openai SDK, and refuses forged ones', async () => {
    const job = await submitQueuedJob(deps, { openai: dispatcher }, await queuedJob());
    const rid = job.providerJobId!;
    openai.setJob(rid, {
      status: 'failed',
      error: { code: 'invalid_training_file', message: 'Line 3 is not valid', param: 'training_file' },
    });

    const forged = openai.webhook(
      'fine_tuning.job.failed',
      rid,
      `whsec_${Buffer.from('not-the-secret-at-all-xx').toString('base64')}`,
    );
    await expect(
      openAiWebhookJobId(client, forged.body, forged.headers, openai.webhookSecret),
    ).rejects.toThrow();
    expect((await stored(job.id)).status).toBe('queued');

    const hook = openai.webhook('fine_tuning.job.failed', rid);
    const providerJobId = await openAiWebhookJobId(client, hook.body, hook.headers, openai.webhookSecret);
    expect(providerJobId).toBe(rid);
    await syncByProviderJobId(deps, dispatcher, providerJobId!);
    await syncByProviderJobId(deps, dispatcher, providerJobId!); // delivered twice
    const failed = await stored(job.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({
      code: 'invalid_training_file',
      message: 'Line 3 is not valid',
      param: 'training_file',
    });
    const outbox = (await embedded.stores.outbox.listPending(1000)).filter(
      (o) => o.subjectId === job.id && o.type.endsWith('failed'),
    );
    expect(outbox).toHaveLength(1);
  });

  it('takes OpenAI’s webhooks over HTTP at /v1/providers/openai/webhook, without an API key', async () => {
    const app = createApp({
      stores: embedded.stores,
      blobs: embedded.blobs,
      clock: { nowMs: () => Date.now() },
      ids: timeSortedIds({ nowMs: () => Date.now() }),
      providers: {
        openai: {
          verify: (body, headers) => openAiWebhookJobId(client, body, headers, openai.webhookSecret),
          mirror: dispatcher,
        },
      },
    });
    const job = await submitQueuedJob(deps, { openai: dispatcher }, await queuedJob());
    const rid = job.providerJobId!;
    openai.setJob(rid, { status: 'running' });
    const post = (hook: { body: string; headers: Record<string, string> }) =>
      app.request('http://api.test/v1/providers/openai/webhook', {
        method: 'POST',
        body: hook.body,
        headers: hook.headers,
      });

    const forged = await post(
      openai.webhook(
        'fine_tuning.job.succeeded',
        rid,
        `whsec_${Buffer.from('another-secret-entirely!').toString('base64')}`,
      ),
    );
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    expect((await stored(job.id)).status).toBe('queued');

    const res = await post(openai.webhook('fine_tuning.job.running', rid));
    expect(res.status).toBe(200);
    expect((await stored(job.id)).status).toBe('running');

    // Anyone can reach this route without a key: an oversize body is refused before it is read.
    const huge = await app.request('http://api.test/v1/providers/openai/webhook', {
      method: 'POST',
      body: 'x'.repeat(8 * 1024 * 1024),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.status).toBe(413);
  });

  it('forwards cancel, pause and resume', async () => {
    const job = await submitQueuedJob(deps, { openai: dispatcher }, await queuedJob());
    const rid = job.providerJobId!;
    await dispatcher.pause!(job);
    expect(openai.jobs.get(rid)!.status).toBe('paused');
    await dispatcher.resume!(job);
    expect(openai.jobs.get(rid)!.status).toBe('running');
    await dispatcher.cancel(job);
    expect(openai.jobs.get(rid)!.status).toBe('cancelled');
    await syncByProviderJobId(deps, dispatcher, rid);
    expect((await stored(job.id)).status).toBe('cancelled');
  });

  it('a job queued while OpenAI was unreachable is submitted once it is back (not left queued)', async () => {
    const down = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 });
    const unreachable = openAiDispatcher({
      client: down,
      files: embedded.stores.files,
      blobs: embedded.blobs,
    });
    const job = await queuedJob();
    const during = await submitQueuedJob(deps, { openai: unreachable }, job);
    expect(during.status).toBe('queued');
    expect(during.providerJobId ?? null).toBeNull();
    // Mirroring alone never touches it: it polls jobs that have an OpenAI id.
    await pollMirroredJobs(deps, dispatcher, 'openai');
    expect((await stored(job.id)).providerJobId ?? null).toBeNull();
    expect(await submitUnsubmittedJobs(deps, { openai: dispatcher }, 'openai', { afterMs: 0 })).toContain(
      job.id,
    );
    const after = await stored(job.id);
    expect(after.status).toBe('queued');
    expect(openai.jobs.get(after.providerJobId!)?.metadata).toEqual({ tuneplane_job_id: job.id });
    // A second pass finds nothing left to submit.
    expect(await submitUnsubmittedJobs(deps, { openai: dispatcher }, 'openai', { afterMs: 0 })).not.toContain(
      job.id,
    );
  });

  it('a request OpenAI rejects fails the job with OpenAI’s message', async () => {
    const job = await queuedJob();
    await embedded.stores.files.markDeleted('tenant-a', job.trainingFile);
    const after = await submitQueuedJob(deps, { openai: dispatcher }, job);
    expect(after.status).toBe('failed');
    expect(after.error?.message).toContain('no longer exists');
  });
});
