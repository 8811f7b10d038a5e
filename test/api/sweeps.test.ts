/**
 * /v1/fine_tuning/sweeps over the app (dynalite + s3rver behind it): create with validation that
 * names the field and the rule, list and retrieve per tenant, trials as ordinary jobs after a
 * controller pass, pause/resume/cancel with 409 when not allowed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSweepStore } from '../../functions/adapters/dynamodb';
import { modelCatalog } from '../../functions/domain/models';
import { advanceSweep, type ControllerDeps } from '../../functions/domain/sweeps/controller';
import type { SweepStore } from '../../functions/ports/sweeps';
import { systemClock } from '../../functions/ports/clock';
import { classificationJsonl } from './data';
import { BASE_MODEL, errorOf, startApi, type ApiHarness } from './support';

let api: ApiHarness;
let store: SweepStore;
let controller: ControllerDeps;
const changed: string[] = [];
let trainingFile: string;
let validationFile: string;

// The app is built before the store exists (it needs the harness's DynamoDB client): delegate.
let real: SweepStore;
const lazyStore = new Proxy({} as SweepStore, {
  get:
    (_t, prop) =>
    (...args: unknown[]) =>
      (real[prop as keyof SweepStore] as (...a: unknown[]) => unknown).apply(real, args),
});

beforeAll(async () => {
  api = await startApi({ sweeps: { store: lazyStore, onChange: (id) => changed.push(id) } });
  real = new DynamoSweepStore({ doc: api.env.clients.doc, table: api.env.config.table, clock: systemClock });
  store = real;
  controller = {
    ...api.deps,
    models: modelCatalog({ models: api.deps.stores.models, blobs: api.deps.blobs }),
    defaultProvider: 'local',
    sweeps: store,
  };
  trainingFile = (await (await api.upload(classificationJsonl(80))).json()).id;
  validationFile = (await (await api.upload(classificationJsonl(20, 80))).json()).id;
});
afterAll(() => api.stop());

const request = (over: Record<string, unknown> = {}, baseOver: Record<string, unknown> = {}) => ({
  base_job: {
    model: BASE_MODEL,
    training_file: trainingFile,
    validation_file: validationFile,
    method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 2 } } },
    ...baseOver,
  },
  search_space: {
    learning_rate: { type: 'float', low: 1e-4, high: 1e-2, scale: 'log' },
    batch_size: { type: 'categorical', choices: [4, 8] },
  },
  objective: { metric: 'valid_loss', goal: 'minimize' },
  limits: { max_trials: 4, max_parallel_trials: 2 },
  ...over,
});

const create = (json: unknown, key?: string) => api.call('POST', '/v1/fine_tuning/sweeps', { json, key });

describe('sweeps API', () => {
  it('creates a sweep: ftsweep- id, defaults applied, seed shown, nothing run yet; the controller is told', async () => {
    const res = await create(request({ metadata: { team: 'search' } }));
    expect(res.status).toBe(200);
    const sweep = await res.json();
    expect(sweep).toMatchObject({
      object: 'fine_tuning.sweep',
      status: 'running',
      strategy: { type: 'random', seed: expect.any(Number) },
      early_stopping: { type: 'none' },
      limits: { max_trials: 4, max_parallel_trials: 2 },
      stale_after_seconds: 3600,
      metadata: { team: 'search' },
      trial_counts: { total: 0, running: 0, complete: 0 },
      best_trial: null,
      finished_at: null,
    });
    expect(sweep.id).toMatch(/^ftsweep-/);
    expect(changed).toContain(sweep.id);
  });

  it.each([
    [
      'a parameter that is not a hyperparameter',
      { search_space: { temperature: { type: 'float', low: 0.1, high: 1 } } },
      {},
      'search_space.temperature',
      /not a hyperparameter/,
    ],
    [
      'an object hyperparameter',
      { search_space: { early_stopping: { type: 'categorical', choices: ['x'] } } },
      {},
      'search_space.early_stopping',
      /set it on base_job/,
    ],
    [
      'a value outside the hyperparameter range',
      { search_space: { learning_rate: { type: 'float', low: 0.01, high: 5 } } },
      {},
      'search_space.learning_rate.high',
      /5 is not a valid learning_rate/,
    ],
    [
      'floats for an integer hyperparameter',
      { search_space: { batch_size: { type: 'float', low: 4, high: 32 } } },
      {},
      'search_space.batch_size.type',
      /whole numbers/,
    ],
    [
      'a choice the hyperparameter does not take',
      { search_space: { optimizer: { type: 'categorical', choices: ['adamw', 'lion'] } } },
      {},
      'search_space.optimizer.choices[1]',
      /"lion" is not a valid optimizer/,
    ],
    [
      'provider openai with a parameter OpenAI cannot take',
      {},
      { provider: 'openai' },
      'search_space.learning_rate',
      /provider "openai" cannot honour 'learning_rate'/,
    ],
    [
      'log scale from 0',
      { search_space: { learning_rate: { type: 'float', low: 0, high: 0.1, scale: 'log' } } },
      {},
      'search_space.learning_rate.low',
      /log scale needs low > 0/,
    ],
    [
      'more parallel trials than trials',
      { limits: { max_trials: 2, max_parallel_trials: 3 } },
      {},
      'limits.max_parallel_trials',
      /≤ max_trials/,
    ],
    [
      'a validation metric without validation data',
      {},
      { validation_file: null },
      'objective.metric',
      /set base_job.validation_file/,
    ],
    [
      'a training file that does not exist',
      {},
      { training_file: 'file-nope' },
      'base_job.training_file',
      /no file found/,
    ],
    [
      'a searched value that breaks a rule with the base job',
      {},
      { method: { type: 'supervised', supervised: { hyperparameters: { learning_rate_multiplier: 2 } } } },
      'search_space.learning_rate',
      /mutually exclusive/,
    ],
    [
      'a warm start from an unknown sweep',
      { warm_start: { sweep_ids: ['ftsweep-nope'] } },
      {},
      'warm_start.sweep_ids[0]',
      /no sweep found/,
    ],
  ])('refuses %s with a 400 naming the field', async (_name, over, baseOver, param, message) => {
    const res = await create(request(over, baseOver));
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.param).toBe(param);
    expect(err.message).toMatch(message);
  });

  it('lists newest first and retrieves per tenant; another tenant sees nothing', async () => {
    const a = await (await create(request())).json();
    const b = await (await create(request())).json();
    const list = await (await api.call('GET', '/v1/fine_tuning/sweeps?limit=2')).json();
    expect(list).toMatchObject({ object: 'list', has_more: true, first_id: b.id, last_id: a.id });
    expect((await (await api.call('GET', `/v1/fine_tuning/sweeps/${a.id}`)).json()).id).toBe(a.id);
    const other = await api.call('GET', `/v1/fine_tuning/sweeps/${a.id}`, { key: api.keyB });
    expect(other.status).toBe(404);
    expect((await errorOf(other)).param).toBe('sweep_id');
    expect((await (await api.call('GET', '/v1/fine_tuning/sweeps', { key: api.keyB })).json()).data).toEqual(
      [],
    );
  });

  it('after a controller pass, trials are ordinary jobs tagged with the sweep, listed by number', async () => {
    const sweep = await (await create(request())).json();
    await advanceSweep(controller, sweep.id);
    const trials = await (await api.call('GET', `/v1/fine_tuning/sweeps/${sweep.id}/trials`)).json();
    expect(trials.data).toHaveLength(2);
    expect(trials.data.map((t: { number: number }) => t.number)).toEqual([0, 1]);
    for (const t of trials.data) {
      expect(t).toMatchObject({
        object: 'fine_tuning.sweep.trial',
        sweep_id: sweep.id,
        state: 'pending',
        job_status: 'queued',
        objective_value: null,
        previous_job_ids: [],
      });
      expect(t.hyperparameters).toEqual({
        n_epochs: 2,
        learning_rate: t.parameters.learning_rate,
        batch_size: t.parameters.batch_size,
      });
      const job = await (await api.call('GET', `/v1/fine_tuning/jobs/${t.id}`)).json();
      expect(job.metadata).toMatchObject({ sweep_id: sweep.id, sweep_trial: String(t.number) });
      expect(job.method.supervised.hyperparameters).toMatchObject({
        n_epochs: 2,
        learning_rate: t.parameters.learning_rate,
        batch_size: t.parameters.batch_size,
      });
    }
    const page = await (
      await api.call('GET', `/v1/fine_tuning/sweeps/${sweep.id}/trials?limit=1&after=${trials.data[0].id}`)
    ).json();
    expect(page.data.map((t: { id: string }) => t.id)).toEqual([trials.data[1].id]);
    const counts = (await (await api.call('GET', `/v1/fine_tuning/sweeps/${sweep.id}`)).json()).trial_counts;
    expect(counts).toMatchObject({ total: 2, pending: 2 });
  });

  it('pauses, resumes and cancels; an action the status does not allow is a 409', async () => {
    const sweep = await (await create(request())).json();
    await advanceSweep(controller, sweep.id);
    const post = (action: string) => api.call('POST', `/v1/fine_tuning/sweeps/${sweep.id}/${action}`);
    expect((await (await post('pause')).json()).status).toBe('paused');
    const again = await post('pause');
    expect(again.status).toBe(409);
    expect((await errorOf(again)).code).toBe('sweep_not_pausable');
    expect((await (await post('resume')).json()).status).toBe('running');
    expect((await post('resume')).status).toBe(409);
    const cancelled = await (await post('cancel')).json();
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      status_reason: 'cancelled',
      finished_at: expect.any(Number),
    });
    const trials = await (await api.call('GET', `/v1/fine_tuning/sweeps/${sweep.id}/trials`)).json();
    expect(trials.data.map((t: { job_status: string }) => t.job_status)).toEqual(['cancelled', 'cancelled']);
    expect((await post('cancel')).status).toBe(409);
    expect((await post('pause')).status).toBe(409);
  });

  it('replays a create with the same Idempotency-Key instead of starting a second sweep', async () => {
    const headers = { 'idempotency-key': 'sweep-create-1' };
    const first = await (
      await api.call('POST', '/v1/fine_tuning/sweeps', { json: request(), headers })
    ).json();
    const second = await api.call('POST', '/v1/fine_tuning/sweeps', { json: request(), headers });
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await second.json()).id).toBe(first.id);
  });
});
