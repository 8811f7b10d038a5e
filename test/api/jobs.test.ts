import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transitionJob } from '../../functions/domain/lifecycle';
import type { JobRecord } from '../../functions/domain/records';
import type { Dispatcher } from '../../functions/ports/dispatcher';
import { systemClock } from '../../functions/ports/clock';
import { chatJsonl, classificationJsonl } from './data';
import { BASE_MODEL, errorOf, startApi, type ApiHarness } from './support';

/** Stands in for a provider (AWS Batch / OpenAI cannot run here): records what the API asked of it. */
class RecordingDispatcher implements Dispatcher {
  calls: { action: string; jobId: string; status: string }[] = [];
  async submit(job: JobRecord) {
    this.calls.push({ action: 'submit', jobId: job.id, status: job.status });
    return { providerJobId: `batch-${job.id}` };
  }
  async cancel(job: JobRecord) {
    this.calls.push({ action: 'cancel', jobId: job.id, status: job.status });
  }
  async pause(job: JobRecord) {
    this.calls.push({ action: 'pause', jobId: job.id, status: job.status });
  }
}

/** A provider that resumes in place and may hand back a new provider job id (e.g. a new Batch job). */
class ResumingDispatcher extends RecordingDispatcher {
  async resume(job: JobRecord) {
    this.calls.push({ action: 'resume', jobId: job.id, status: job.status });
    return { providerJobId: `resumed-${job.id}` };
  }
}

let api: ApiHarness;
let batch: RecordingDispatcher;
let local: RecordingDispatcher;
const openai = new ResumingDispatcher();
let trainingFile: string;
let validationFile: string;
let classFile: string;

beforeAll(async () => {
  batch = new RecordingDispatcher();
  local = new RecordingDispatcher();
  api = await startApi({ dispatchers: { batch, openai, local } });
  trainingFile = (await (await api.upload(chatJsonl(40))).json()).id;
  validationFile = (await (await api.upload(chatJsonl(10, 40))).json()).id;
  classFile = (await (await api.upload(classificationJsonl(60))).json()).id;
});
afterAll(() => api.stop());

const create = (json: Record<string, unknown>, key?: string) =>
  api.call('POST', '/v1/fine_tuning/jobs', {
    json: { model: BASE_MODEL, training_file: trainingFile, ...json },
    key,
  });

/** Moves a job as the runner would, through the same lifecycle module and store. */
const runnerMoves = (id: string, to: JobRecord['status']) =>
  transitionJob({ stores: api.env.stores, clock: systemClock }, id, to);

describe('fine-tuning jobs', () => {
  it('creates a job with every auto resolved and explained, queued and handed to its provider', async () => {
    const res = await create({ suffix: 'reviews', seed: 123, metadata: { team: 'search' } });
    expect(res.status).toBe(200);
    const job = await res.json();
    expect(job).toMatchObject({
      object: 'fine_tuning.job',
      model: BASE_MODEL,
      status: 'queued',
      provider: 'local',
      training_file: trainingFile,
      validation_file: null,
      seed: 123,
      user_provided_suffix: 'reviews',
      metadata: { team: 'search' },
      fine_tuned_model: null,
      finished_at: null,
      error: null,
      result_files: [],
    });
    expect(job.id).toMatch(/^ftjob-/);
    const h = job.method.supervised.hyperparameters;
    expect(job.method.type).toBe('supervised');
    expect(h).toMatchObject({
      n_epochs: 3,
      max_sequence_length: 256,
      seed: 123,
      learning_rate: 1e-3,
      learning_rate_multiplier: 1,
    });
    expect(job.hyperparameters).toEqual({
      n_epochs: 3,
      batch_size: h.batch_size,
      learning_rate_multiplier: 1,
    });
    expect(job.hyperparameter_explanations.n_epochs).toMatch(/OpenAI's heuristic/);
    expect(job.hyperparameter_explanations.max_sequence_length).toMatch(/context length \(256/);

    const events = await (await api.call('GET', `/v1/fine_tuning/jobs/${job.id}/events`)).json();
    const messages = events.data.map((e: { message: string }) => e.message);
    expect(messages).toEqual(expect.arrayContaining([`Created fine-tuning job: ${job.id}`]));
    expect(messages.some((m: string) => /queued/.test(m))).toBe(true);
    expect(local.calls).toContainEqual({ action: 'submit', jobId: job.id, status: 'queued' });
    expect(events.data[0]).toMatchObject({ object: 'fine_tuning.job.event', level: 'info', type: 'message' });

    // Events page up to 1,000 at a time (a long job's metrics); past that, a 400 naming `limit`.
    const big = await api.call('GET', `/v1/fine_tuning/jobs/${job.id}/events?limit=1000`);
    expect(big.status).toBe(200);
    expect((await big.json()).data.length).toBe(events.data.length);
    const tooBig = await api.call('GET', `/v1/fine_tuning/jobs/${job.id}/events?limit=1001`);
    expect(tooBig.status).toBe(400);
    expect((await tooBig.json()).error.param).toBe('limit');
  });

  it('refuses a provider this deployment has no dispatcher for, naming the field', async () => {
    const bare = await startApi({ dispatchers: { batch } });
    try {
      const file = (await (await bare.upload(chatJsonl(12))).json()).id;
      const res = await bare.call('POST', '/v1/fine_tuning/jobs', {
        json: { model: BASE_MODEL, training_file: file, provider: 'local' },
      });
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatchObject({ param: 'provider', code: 'provider_unavailable' });
    } finally {
      await bare.stop();
    }
  });

  it('accepts the deprecated top-level hyperparameters', async () => {
    const job = await (await create({ hyperparameters: { n_epochs: 2, batch_size: 4 } })).json();
    expect(job.hyperparameters).toMatchObject({ n_epochs: 2, batch_size: 4 });
    const both = await create({
      hyperparameters: { n_epochs: 2 },
      method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 3 } } },
    });
    expect(both.status).toBe(400);
    expect((await errorOf(both)).param).toBe('hyperparameters');
  });

  it('submits to the provider dispatcher and records the provider job id', async () => {
    const job = await (await create({ provider: 'batch' })).json();
    expect(job.status).toBe('queued');
    expect(batch.calls).toContainEqual({ action: 'submit', jobId: job.id, status: 'queued' });
    const stored = await api.env.stores.jobs.getById(job.id);
    expect(stored?.providerJobId).toBe(`batch-${job.id}`);
  });

  it('cancels, and refuses to cancel twice', async () => {
    const job = await (await create({ provider: 'batch' })).json();
    const res = await api.call('POST', `/v1/fine_tuning/jobs/${job.id}/cancel`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: job.id, status: 'cancelled' });
    expect(batch.calls).toContainEqual({ action: 'cancel', jobId: job.id, status: 'cancelled' });
    const again = await api.call('POST', `/v1/fine_tuning/jobs/${job.id}/cancel`);
    expect(again.status).toBe(409);
    expect((await errorOf(again)).message).toMatch(/cannot be cancelled/);
  });

  it('pauses a running job and resumes it into the queue', async () => {
    const job = await (await create({ provider: 'batch' })).json();
    expect((await api.call('POST', `/v1/fine_tuning/jobs/${job.id}/pause`)).status).toBe(409); // queued, not running
    await runnerMoves(job.id, 'running');
    const paused = await api.call('POST', `/v1/fine_tuning/jobs/${job.id}/pause`);
    expect(await paused.json()).toMatchObject({ status: 'paused' });
    expect(batch.calls).toContainEqual({ action: 'pause', jobId: job.id, status: 'paused' });
    const resumed = await api.call('POST', `/v1/fine_tuning/jobs/${job.id}/resume`);
    expect(await resumed.json()).toMatchObject({ status: 'queued' });
    expect(batch.calls.filter((c) => c.jobId === job.id && c.action === 'submit')).toHaveLength(2);
    expect((await api.call('POST', `/v1/fine_tuning/jobs/${job.id}/resume`)).status).toBe(409);
  });

  it("resumes through the provider's resume and records the new provider job id", async () => {
    const job = await (await create({ provider: 'openai' })).json();
    await runnerMoves(job.id, 'running');
    await api.call('POST', `/v1/fine_tuning/jobs/${job.id}/pause`);
    expect((await (await api.call('POST', `/v1/fine_tuning/jobs/${job.id}/resume`)).json()).status).toBe(
      'queued',
    );
    expect(openai.calls.filter((c) => c.jobId === job.id).map((c) => c.action)).toEqual([
      'submit',
      'pause',
      'resume',
    ]);
    expect((await api.env.stores.jobs.getById(job.id))?.providerJobId).toBe(`resumed-${job.id}`);
  });

  it('resumes a failed job whose checkpoints exist as a new job; the failed one stays failed', async () => {
    const job = await (await create({ provider: 'batch', seed: 7, metadata: { team: 'search' } })).json();
    await runnerMoves(job.id, 'running');
    for (const step of [10, 20])
      await api.env.stores.checkpoints.put({
        id: `ftckpt-${job.id.slice(6)}-${step}`,
        jobId: job.id,
        tenantId: 'tenant-a',
        createdAt: 1_700_000_000 + step,
        stepNumber: step,
        metrics: {},
        fineTunedModelCheckpoint: `ft:${BASE_MODEL}:tenant-a::${job.id}:ckpt-step-${step}`,
        blobPrefix: `checkpoints/${job.id}/step-${String(step).padStart(8, '0')}/`,
      });
    await runnerMoves(job.id, 'failed');

    const res = await api.call('POST', `/v1/fine_tuning/jobs/${job.id}/resume`);
    expect(res.status).toBe(200);
    const next = await res.json();
    expect(next.id).not.toBe(job.id);
    expect(next).toMatchObject({
      status: 'queued',
      resumed_from: { fine_tuning_job_id: job.id, step_number: 20 },
      model: job.model,
      training_file: job.training_file,
      seed: 7,
      metadata: { team: 'search' },
      method: job.method,
      progress: { step: 20 },
    });
    expect(batch.calls).toContainEqual({ action: 'submit', jobId: next.id, status: 'queued' });
    // The failed job keeps its final status (and its one completion webhook) and says where it went.
    const old = await (await api.call('GET', `/v1/fine_tuning/jobs/${job.id}`)).json();
    expect(old.status).toBe('failed');
    const events = await (await api.call('GET', `/v1/fine_tuning/jobs/${job.id}/events`)).json();
    expect(events.data[0].message).toMatch(
      new RegExp(`Resumed as ${next.id} from its checkpoint at step 20`),
    );
    // Asking again answers the same continuation instead of starting a second one.
    const again = await (await api.call('POST', `/v1/fine_tuning/jobs/${job.id}/resume`)).json();
    expect(again.id).toBe(next.id);
    expect(batch.calls.filter((c) => c.jobId === next.id && c.action === 'submit')).toHaveLength(1);
  });

  it('refuses to resume a failed job with no checkpoint, and succeeded or cancelled jobs', async () => {
    const failed = await (await create({ provider: 'batch' })).json();
    await runnerMoves(failed.id, 'running');
    await runnerMoves(failed.id, 'failed');
    const res = await api.call('POST', `/v1/fine_tuning/jobs/${failed.id}/resume`);
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toMatchObject({ code: 'job_not_resumable' });
    expect(
      (await errorOf(await api.call('POST', `/v1/fine_tuning/jobs/${failed.id}/resume`))).message,
    ).toMatch(/no checkpoint/);
    const cancelled = await (await create({ provider: 'batch' })).json();
    await api.call('POST', `/v1/fine_tuning/jobs/${cancelled.id}/cancel`);
    expect((await api.call('POST', `/v1/fine_tuning/jobs/${cancelled.id}/resume`)).status).toBe(409);
  });

  it('lists checkpoints newest first in OpenAI shape', async () => {
    const job = await (await create({})).json();
    for (const step of [10, 20, 30]) {
      await api.env.stores.checkpoints.put({
        id: `ftckpt-${job.id.slice(6)}-${step}`,
        jobId: job.id,
        tenantId: 'tenant-a',
        createdAt: 1_700_000_000 + step,
        stepNumber: step,
        metrics: { train_loss: 3 - step / 10 },
        fineTunedModelCheckpoint: `ft:${BASE_MODEL}:tenant-a::${job.id}:ckpt-step-${step}`,
        blobPrefix: `checkpoints/${job.id}/${step}`,
      });
    }
    const page = await (await api.call('GET', `/v1/fine_tuning/jobs/${job.id}/checkpoints?limit=2`)).json();
    expect(page).toMatchObject({ object: 'list', has_more: true });
    expect(page.data.map((c: { step_number: number }) => c.step_number)).toEqual([30, 20]);
    expect(page.data[0]).toMatchObject({
      object: 'fine_tuning.job.checkpoint',
      fine_tuning_job_id: job.id,
      metrics: { step: 30, train_loss: 0 },
    });
    const rest = await (
      await api.call('GET', `/v1/fine_tuning/jobs/${job.id}/checkpoints?after=${page.last_id}`)
    ).json();
    expect(rest.data.map((c: { step_number: number }) => c.step_number)).toEqual([10]);
  });

  it("serves a checkpoint's weights, and 404s naming checkpoint_id for one the job does not have", async () => {
    const job = await (await create({})).json();
    const id = `ftckpt-${job.id.slice(6)}-step-00000040`;
    const prefix = `checkpoints/${job.id}/step-00000040/`;
    await api.env.stores.checkpoints.put({
      id,
      jobId: job.id,
      tenantId: 'tenant-a',
      createdAt: 1_700_000_040,
      stepNumber: 40,
      metrics: { train_loss: 1.5 },
      fineTunedModelCheckpoint: `ft:${BASE_MODEL}:tenant-a::${job.id}:ckpt-step-40`,
      blobPrefix: prefix,
    });
    const weights = new Uint8Array(4096).map((_, i) => i % 251);
    await api.env.blobs.put(`${prefix}model.safetensors`, weights, 'application/octet-stream');
    const res = await api.call('GET', `/v1/fine_tuning/jobs/${job.id}/checkpoints/${id}/weights`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${id}.safetensors"`);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(weights);

    const missing = await api.call('GET', `/v1/fine_tuning/jobs/${job.id}/checkpoints/ftckpt-nope/weights`);
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toMatchObject({ param: 'checkpoint_id', code: 'not_found' });
    const otherTenant = await api.call('GET', `/v1/fine_tuning/jobs/${job.id}/checkpoints/${id}/weights`, {
      key: api.keyB,
    });
    expect(otherTenant.status).toBe(404);
  });

  it('lists jobs newest first, pages them, and filters by metadata', async () => {
    const tagged = [];
    for (let i = 0; i < 3; i++)
      tagged.push((await (await create({ metadata: { run: 'paging', i: String(i) } })).json()).id);
    const page = await (await api.call('GET', '/v1/fine_tuning/jobs?limit=2&metadata[run]=paging')).json();
    expect(page.data.map((j: { id: string }) => j.id)).toEqual([tagged[2], tagged[1]]);
    expect(page.has_more).toBe(true);
    const next = await (
      await api.call('GET', `/v1/fine_tuning/jobs?limit=2&metadata[run]=paging&after=${page.last_id}`)
    ).json();
    expect(next.data.map((j: { id: string }) => j.id)).toEqual([tagged[0]]);
    expect(next.has_more).toBe(false);
    const one = await (
      await api.call('GET', '/v1/fine_tuning/jobs?metadata[run]=paging&metadata[i]=1')
    ).json();
    expect(one.data.map((j: { id: string }) => j.id)).toEqual([tagged[1]]);
  });

  it("keeps tenants apart: another tenant's job is a 404 everywhere", async () => {
    const job = await (await create({})).json();
    for (const [method, path] of [
      ['GET', `/v1/fine_tuning/jobs/${job.id}`],
      ['POST', `/v1/fine_tuning/jobs/${job.id}/cancel`],
      ['POST', `/v1/fine_tuning/jobs/${job.id}/pause`],
      ['POST', `/v1/fine_tuning/jobs/${job.id}/resume`],
      ['GET', `/v1/fine_tuning/jobs/${job.id}/events`],
      ['GET', `/v1/fine_tuning/jobs/${job.id}/checkpoints`],
    ]) {
      const res = await api.call(method, path, { key: api.keyB });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const list = await (await api.call('GET', '/v1/fine_tuning/jobs', { key: api.keyB })).json();
    expect(list.data).toEqual([]);
    // B cannot train on A's file either.
    const res = await create({}, api.keyB);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ param: 'training_file', code: 'file_not_found' });
  });
});

describe('job rules (400 naming the field)', () => {
  const hp = (hyperparameters: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    create({ method: { type: 'supervised', supervised: { hyperparameters } }, ...extra });
  const P = 'method.supervised.hyperparameters';

  it.each([
    [{ n_epochs: 0 }, `${P}.n_epochs`, /Too small|>=1/i],
    [{ n_epochs: 'many' }, `${P}.n_epochs`, /auto/],
    [
      { batch_size: 1, n_epochs: 1, warmup_steps: 40 },
      `${P}.warmup_steps`,
      /warm-up must be shorter than training.*40/,
    ],
    [{ warmup_steps: 1, warmup_ratio: 0.1 }, `${P}.warmup_ratio`, /mutually exclusive/],
    [{ early_stopping: { patience: 2 } }, `${P}.early_stopping`, /validation_file/],
    [{ lr_scheduler: 'reduce_on_plateau' }, `${P}.lr_scheduler`, /validation/],
    [{ sampling: { strategy: 'stratified' } }, `${P}.sampling.strategy`, /classification/],
    [{ sampling: { strategy: 'weighted' } }, `${P}.sampling.weight_field`, /"sample_weight"/],
    [{ learning_rate_multipler: 2 }, `${P}.learning_rate_multipler`, /unknown field/],
  ])('%j → %s', async (hyperparameters, param, rule) => {
    const res = await hp(hyperparameters);
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.param).toBe(param);
    expect(err.message).toMatch(rule);
    expect(err.type).toBe('invalid_request_error');
  });

  it('allows early stopping and reduce_on_plateau with a validation file', async () => {
    const res = await hp(
      { early_stopping: { patience: 2 }, lr_scheduler: 'reduce_on_plateau' },
      { validation_file: validationFile },
    );
    expect(res.status).toBe(200);
    const job = await res.json();
    expect(job.method.supervised.hyperparameters.early_stopping).toMatchObject({
      patience: 2,
      metric: 'valid_loss',
    });
  });

  it('allows stratified sampling of classification data', async () => {
    const res = await create({
      training_file: classFile,
      method: {
        type: 'supervised',
        supervised: { hyperparameters: { sampling: { strategy: 'stratified' } } },
      },
    });
    expect(res.status).toBe(200);
  });

  it('checks the weight field in the data for weighted sampling', async () => {
    const weighted = (await (await api.upload(chatJsonl(10, 0, (i) => ({ w: i % 3 })))).json()).id;
    const ok = await create({
      training_file: weighted,
      method: {
        type: 'supervised',
        supervised: { hyperparameters: { sampling: { strategy: 'weighted', weight_field: 'w' } } },
      },
    });
    expect(ok.status).toBe(200);
  });

  it('provider openai lists the fields it cannot do', async () => {
    const res = await hp({ n_epochs: 2, optimizer: 'sgd', dropout: 0.1 }, { provider: 'openai' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/cannot honour these hyperparameters: optimizer, dropout/);
  });

  it('refuses unknown models and files of the wrong purpose', async () => {
    const res = await create({ model: 'no-such-model' });
    expect(await errorOf(res)).toMatchObject({ param: 'model', code: 'model_not_found' });
    const other = (await (await api.upload('x', { purpose: 'user_data' })).json()).id;
    expect(await errorOf(await create({ training_file: other }))).toMatchObject({
      param: 'training_file',
      code: 'invalid_file_purpose',
    });
  });
});

describe('estimate (dry run)', () => {
  it('resolves, explains and sizes without creating a job', async () => {
    const before = (await (await api.call('GET', '/v1/fine_tuning/jobs?limit=100')).json()).data.length;
    const res = await api.call('POST', '/v1/fine_tuning/jobs/estimate', {
      json: {
        model: BASE_MODEL,
        training_file: trainingFile,
        method: { type: 'supervised', supervised: { hyperparameters: { batch_size: 4, warmup_ratio: 0.1 } } },
      },
    });
    expect(res.status).toBe(200);
    const e = await res.json();
    expect(e).toMatchObject({
      object: 'fine_tuning.job.estimate',
      model: BASE_MODEL,
      provider: 'local',
      format: 'chat',
      training_examples: 40,
      steps_per_epoch: 10,
      total_steps: 30,
    });
    expect(e.hyperparameters).toMatchObject({ n_epochs: 3, batch_size: 4, warmup_steps: 3 });
    expect(e.trained_tokens).toBe(e.training_tokens * 3);
    expect(e.estimated_duration_seconds).toBeGreaterThan(0);
    expect(e.duration_explanation).toMatch(/FLOPs/);
    expect(Object.keys(e.hyperparameter_explanations)).toEqual(
      expect.arrayContaining(['n_epochs', 'learning_rate', 'warmup_steps', 'eval_interval_steps']),
    );
    expect((await (await api.call('GET', '/v1/fine_tuning/jobs?limit=100')).json()).data.length).toBe(before);
  });

  it('follows max_steps: the step count, the tokens trained and the explanation', async () => {
    const res = await api.call('POST', '/v1/fine_tuning/jobs/estimate', {
      json: {
        model: BASE_MODEL,
        training_file: trainingFile,
        method: { type: 'supervised', supervised: { hyperparameters: { batch_size: 4, max_steps: 12 } } },
      },
    });
    expect(res.status).toBe(200);
    const e = await res.json();
    expect(e).toMatchObject({ steps_per_epoch: 10, total_steps: 12 });
    expect(e.hyperparameters.max_steps).toBe(12);
    expect(e.trained_tokens).toBeLessThan(e.training_tokens * 2);
    expect(e.hyperparameter_explanations.max_steps).toMatch(/ends after 12 steps, before the 30/);
  });

  it('refuses a max_steps that is not a positive integer, naming the field', async () => {
    const res = await api.call('POST', '/v1/fine_tuning/jobs/estimate', {
      json: {
        model: BASE_MODEL,
        training_file: trainingFile,
        method: { type: 'supervised', supervised: { hyperparameters: { max_steps: 0 } } },
      },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.param).toBe('method.supervised.hyperparameters.max_steps');
  });
});
