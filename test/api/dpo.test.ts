/**
 * Preference tuning through the API: OpenAI's `method: {type: "dpo"}` on preference files, its
 * `auto` values resolved and explained, method and data that do not meet refused naming the field,
 * bad preference files refused naming the line and field, the estimate, `model: "ft:…"` (tuning a
 * tuned model) with its lineage on /v1/models, and sweeps over `beta`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSweepStore } from '../../functions/adapters/dynamodb';
import type { JobRecord } from '../../functions/domain/records';
import { systemClock } from '../../functions/ports/clock';
import type { Dispatcher } from '../../functions/ports/dispatcher';
import type { SweepStore } from '../../functions/ports/sweeps';
import { chatJsonl, jsonl, preferenceJsonl } from './data';
import { BASE_MODEL, BASE_MODEL_CONFIG, errorOf, startApi, type ApiHarness } from './support';

class RecordingDispatcher implements Dispatcher {
  submitted: JobRecord[] = [];
  async submit(job: JobRecord) {
    this.submitted.push(job);
    return { providerJobId: `p-${job.id}` };
  }
  async cancel() {}
}

let api: ApiHarness;
const local = new RecordingDispatcher();
const openai = new RecordingDispatcher();
let pairs: string;
let validPairs: string;
let chat: string;

// The app is built before the sweep store exists (it needs the harness's DynamoDB client): delegate.
let sweeps: SweepStore;
const lazySweeps = new Proxy({} as SweepStore, {
  get:
    (_t, prop) =>
    (...args: unknown[]) =>
      (sweeps[prop as keyof SweepStore] as (...a: unknown[]) => unknown).apply(sweeps, args),
});

beforeAll(async () => {
  api = await startApi({ dispatchers: { local, openai }, sweeps: { store: lazySweeps } });
  sweeps = new DynamoSweepStore({
    doc: api.env.clients.doc,
    table: api.env.config.table,
    clock: systemClock,
  });
  pairs = (await (await api.upload(preferenceJsonl(40))).json()).id;
  validPairs = (await (await api.upload(preferenceJsonl(10, 40))).json()).id;
  chat = (await (await api.upload(chatJsonl(40))).json()).id;
});
afterAll(() => api.stop());

const create = (json: Record<string, unknown>) =>
  api.call('POST', '/v1/fine_tuning/jobs', { json: { model: BASE_MODEL, training_file: pairs, ...json } });
const dpo = (hyperparameters: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  create({ method: { type: 'dpo', dpo: { hyperparameters } }, ...extra });

describe('DPO jobs', () => {
  it('shows an uploaded preference file as format "preference"', async () => {
    const file = await (await api.call('GET', `/v1/files/${pairs}`)).json();
    expect(file).toMatchObject({ status: 'processed' });
    const est = await (
      await api.call('POST', '/v1/fine_tuning/jobs/estimate', {
        json: { model: BASE_MODEL, training_file: pairs, method: { type: 'dpo' } },
      })
    ).json();
    expect(est).toMatchObject({ format: 'preference', training_examples: 40 });
    expect(est.duration_explanation).toMatch(/DPO's reference pass/);
    expect(est.hyperparameters).toMatchObject({ beta: 0.1, label_smoothing: 0 });
  });

  it('creates a job in OpenAI’s shape with beta, every auto resolved and the smaller DPO rate explained', async () => {
    const res = await dpo({ beta: 0.2, n_epochs: 2 }, { validation_file: validPairs });
    expect(res.status).toBe(200);
    const job = await res.json();
    expect(job.method.type).toBe('dpo');
    expect(job.method.supervised).toBeUndefined();
    const h = job.method.dpo.hyperparameters;
    // the tiny base model's supervised default is 1e-3: DPO's auto rate is a tenth of it
    expect(h).toMatchObject({ beta: 0.2, label_smoothing: 0, n_epochs: 2, learning_rate: 1e-4 });
    expect(job.hyperparameters).toMatchObject({ n_epochs: 2, learning_rate_multiplier: 1 });
    expect(job.hyperparameter_explanations.beta).toBe('requested');
    expect(job.hyperparameter_explanations.learning_rate).toMatch(/DPO wants far smaller steps/);
    expect(local.submitted.at(-1)).toMatchObject({
      id: job.id,
      method: { type: 'dpo', hyperparameters: { beta: 0.2, n_epochs: 2 } },
    });
    const again = await (await api.call('GET', `/v1/fine_tuning/jobs/${job.id}`)).json();
    expect(again.method).toEqual(job.method);
  });

  it('resolves beta auto to 0.1 and says why', async () => {
    const job = await (await dpo({ beta: 'auto' })).json();
    expect(job.method.dpo.hyperparameters.beta).toBe(0.1);
    expect(job.hyperparameter_explanations.beta).toMatch(/^auto: 0.1/);
  });

  it('takes early stopping on valid_rewards_accuracy with a validation file', async () => {
    const res = await dpo(
      { early_stopping: { metric: 'valid_rewards_accuracy', patience: 2 } },
      { validation_file: validPairs },
    );
    expect(res.status).toBe(200);
    expect((await res.json()).method.dpo.hyperparameters.early_stopping.metric).toBe(
      'valid_rewards_accuracy',
    );
  });

  const P = 'method.dpo.hyperparameters';
  it.each([
    [{ beta: 0 }, `${P}.beta`, /auto|greater than 0|>0/i],
    [{ beta: 2.5 }, `${P}.beta`, /auto|2/],
    [{ label_smoothing: 0.5 }, `${P}.label_smoothing`, /0.5/],
    [{ learning_rate: 1e-5, learning_rate_multiplier: 2 }, `${P}.learning_rate`, /mutually exclusive/],
    [{ early_stopping: { metric: 'valid_rewards_accuracy' } }, `${P}.early_stopping`, /validation_file/],
  ])('%j → 400 naming %s', async (hyperparameters, param, rule) => {
    const res = await dpo(hyperparameters);
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.param).toBe(param);
    expect(err.message).toMatch(rule);
  });

  it('refuses DPO on chat data, and preference data without DPO, naming method.type', async () => {
    const onChat = await errorOf(await dpo({}, { training_file: chat }));
    expect(onChat).toMatchObject({ param: 'method.type' });
    expect(onChat.message).toMatch(/"dpo" trains on preference pairs .* holds chat data/);
    for (const method of [undefined, { type: 'supervised' }]) {
      const err = await errorOf(await create(method ? { method } : {}));
      expect(err).toMatchObject({ param: 'method.type' });
      expect(err.message).toMatch(/holds preference pairs, which train with method \{"type": "dpo"\}/);
    }
    const mixed = await errorOf(await dpo({}, { validation_file: chat }));
    expect(mixed).toMatchObject({ param: 'validation_file' });
  });

  it('refuses supervised fields under method.dpo and DPO fields under method.supervised', async () => {
    const res = await create({
      method: { type: 'dpo', supervised: { hyperparameters: { n_epochs: 1 } } },
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/supervised/);
    const beta = await errorOf(
      await create({
        training_file: chat,
        method: { type: 'supervised', supervised: { hyperparameters: { beta: 0.1 } } },
      }),
    );
    expect(beta.param).toBe('method.supervised.hyperparameters.beta');
  });

  it('passes beta to provider openai and refuses what OpenAI’s DPO cannot do, by name', async () => {
    const ok = await dpo({ beta: 0.3 }, { provider: 'openai', model: 'gpt-4o-mini-2024-07-18' });
    expect(ok.status).toBe(200);
    expect(openai.submitted.at(-1)?.method).toEqual({ type: 'dpo', hyperparameters: { beta: 0.3 } });
    const bad = await errorOf(
      await dpo({ label_smoothing: 0.1 }, { provider: 'openai', model: 'gpt-4o-mini-2024-07-18' }),
    );
    expect(bad.param).toBe(`${P}.label_smoothing`);
    expect(bad.message).toMatch(
      /OpenAI's DPO fine-tuning supports only n_epochs, batch_size, learning_rate_multiplier, beta/,
    );
  });
});

describe('preference files', () => {
  const pair = (i: number) => ({
    input: { messages: [{ role: 'user', content: `shout w${i}` }] },
    preferred_output: [{ role: 'assistant', content: `W${i}` }],
    non_preferred_output: [{ role: 'assistant', content: `w${i}` }],
  });

  it.each([
    [{ non_preferred_output: [] }, /"non_preferred_output" must be a list of exactly one assistant message/],
    [
      { preferred_output: [{ role: 'user', content: 'x' }] },
      /preferred_output\[0\]\.role must be "assistant"/,
    ],
    [
      { input: { messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function' }] } },
      /input\.tools: tool definitions are not supported/,
    ],
  ])('refuses %j with a 400 naming line 4 and the field', async (change, rule) => {
    const rows: object[] = Array.from({ length: 12 }, (_, i) => pair(i));
    rows[3] = { ...rows[3], ...change };
    const res = await api.upload(jsonl(rows));
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.param).toBe('file');
    expect(err.message).toMatch(/line 4: /);
    expect(err.message).toMatch(rule);
  });
});

describe('tuning a tuned model', () => {
  it('takes the tenant’s fine-tuned model as `model`, and /v1/models shows its lineage', async () => {
    // A fine-tuned model as the runner publishes it: its folder and a record naming its lineage.
    const tuned = `ft:${BASE_MODEL}:tenant-a::abc123`;
    await api.env.blobs.put(
      `models/${tuned}/config.json`,
      JSON.stringify(BASE_MODEL_CONFIG),
      'application/json',
    );
    await api.env.stores.models.put({
      id: tuned,
      tenantId: 'tenant-a',
      createdAt: 1_700_000_100,
      ownedBy: 'tenant-a',
      jobId: 'ftjob-abc123',
      lineage: [BASE_MODEL],
      blobPrefix: `models/${tuned}/`,
    });
    const res = await dpo({}, { model: tuned });
    expect(res.status).toBe(200);
    expect((await res.json()).model).toBe(tuned);

    const listed = await (await api.call('GET', '/v1/models')).json();
    expect(listed.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: BASE_MODEL, base_model: null, lineage: [] }),
        expect.objectContaining({ id: tuned, base_model: BASE_MODEL, lineage: [BASE_MODEL] }),
      ]),
    );
    // another tenant cannot tune it
    const other = await api.call('POST', '/v1/fine_tuning/jobs', {
      json: { model: tuned, training_file: pairs, method: { type: 'dpo' } },
      key: api.keyB,
    });
    expect(other.status).toBe(400);
    expect((await errorOf(other)).param).toBe('model');
  });
});

describe('sweeps over beta', () => {
  const sweep = (json: Record<string, unknown>) =>
    api.call('POST', '/v1/fine_tuning/sweeps', {
      json: {
        base_job: {
          model: BASE_MODEL,
          training_file: pairs,
          validation_file: validPairs,
          method: { type: 'dpo', dpo: { hyperparameters: { n_epochs: 1 } } },
        },
        search_space: { beta: { type: 'float', low: 0.05, high: 0.5, scale: 'log' } },
        objective: { metric: 'valid_rewards_accuracy', goal: 'maximize' },
        limits: { max_trials: 2, max_parallel_trials: 1 },
        ...json,
      },
    });

  it('searches beta with valid_rewards_accuracy as the objective', async () => {
    const res = await sweep({});
    expect(res.status).toBe(200);
    const s = await res.json();
    expect(s.objective).toEqual({ type: 'metric', metric: 'valid_rewards_accuracy', goal: 'maximize' });
  });

  it('refuses beta on a supervised base job and a DPO objective without DPO', async () => {
    const base = { model: BASE_MODEL, training_file: chat, validation_file: chat };
    const beta = await errorOf(await sweep({ base_job: base }));
    expect(beta).toMatchObject({ param: 'search_space.beta' });
    expect(beta.message).toMatch(/applies to DPO only/);
    const objective = await errorOf(
      await sweep({
        base_job: base,
        search_space: { n_epochs: { type: 'int', low: 1, high: 2 } },
      }),
    );
    expect(objective).toMatchObject({ param: 'objective.metric' });
    expect(objective.message).toMatch(/is a DPO figure/);
  });
});
