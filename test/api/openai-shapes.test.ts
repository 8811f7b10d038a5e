/**
 * Our objects as OpenAI's OpenAPI document (openai/openai-openapi) defines them, where it has the
 * concept: optional fields omitted rather than null, list cursors, event data, file order and
 * expiry, the values OpenAI accepts (purposes, suffixes, learning-rate multipliers), and a request
 * id on every response.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteExpiredFiles } from '../../functions/domain/files';
import { fineTunedModelId } from '../../functions/domain/jobs';
import { chatJsonl } from './data';
import { BASE_MODEL, errorOf, startApi, type ApiHarness } from './support';

/** Expiry is measured in hours and days: the clock is the one thing faked. */
const clock = {
  t: Date.UTC(2026, 0, 1),
  nowMs() {
    return this.t;
  },
};

let api: ApiHarness;
let server: { baseUrl: string; close(): Promise<void> };
beforeAll(async () => {
  api = await startApi({ clock });
  server = await api.listen();
});
afterAll(async () => {
  await server.close();
  await api.stop();
});

function form(fields: Record<string, string>, content = chatJsonl(10), filename = 'train.jsonl'): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  f.append('file', new File([content], filename, { type: 'application/jsonl' }));
  return f;
}

describe('file objects', () => {
  it('omit expires_at and status_details when unset (not null)', async () => {
    const file = await (await api.upload(chatJsonl(10))).json();
    expect(file).not.toHaveProperty('expires_at');
    expect(file).not.toHaveProperty('status_details');
    expect(file.status).toBe('processed');
  });

  it('accept expires_after as the openai SDK sends it, show expires_at, and really expire', async () => {
    const res = await api.call('POST', '/v1/files', {
      body: form({
        purpose: 'fine-tune',
        'expires_after[anchor]': 'created_at',
        'expires_after[seconds]': '3600',
      }),
    });
    expect(res.status).toBe(200);
    const file = await res.json();
    expect(file.expires_at).toBe(file.created_at + 3600);
    const blobKey = (await api.env.stores.files.get('tenant-a', file.id))!.blobKey;

    clock.t += 3599_000;
    expect((await api.call('GET', `/v1/files/${file.id}`)).status).toBe(200);
    clock.t += 1_000;
    // Past its expiry the file is gone for the API at once…
    expect((await api.call('GET', `/v1/files/${file.id}`)).status).toBe(404);
    expect((await api.call('GET', `/v1/files/${file.id}/content`)).status).toBe(404);
    const listed = await (await api.call('GET', '/v1/files?limit=100')).json();
    expect(listed.data.map((f: { id: string }) => f.id)).not.toContain(file.id);
    const job = await api.call('POST', '/v1/fine_tuning/jobs', {
      json: { model: BASE_MODEL, training_file: file.id },
    });
    expect(job.status).toBe(400);
    expect((await errorOf(job)).param).toBe('training_file');
    // …and the reconciler deletes its bytes.
    expect(await api.env.blobs.head(blobKey)).toBeDefined();
    const deleted = await deleteExpiredFiles(
      { stores: api.env.stores, blobs: api.env.blobs, clock },
      { limit: 100 },
    );
    expect(deleted).toContain(file.id);
    expect(await api.env.blobs.head(blobKey)).toBeUndefined();
    expect(
      await deleteExpiredFiles({ stores: api.env.stores, blobs: api.env.blobs, clock }, { limit: 100 }),
    ).toEqual([]);
  });

  it('refuses expires_after outside OpenAI’s range (1 hour to 30 days), naming the field', async () => {
    for (const [anchor, seconds, param] of [
      ['created_at', '3599', 'expires_after[seconds]'],
      ['created_at', '2592001', 'expires_after[seconds]'],
      ['last_active_at', '3600', 'expires_after[anchor]'],
    ]) {
      const res = await api.call('POST', '/v1/files', {
        body: form({
          purpose: 'fine-tune',
          'expires_after[anchor]': anchor,
          'expires_after[seconds]': seconds,
        }),
      });
      expect(res.status, `${anchor} ${seconds}`).toBe(400);
      expect((await errorOf(res)).param).toBe(param);
    }
    const half = await api.call('POST', '/v1/files', {
      body: form({ purpose: 'fine-tune', 'expires_after[seconds]': '3600' }),
    });
    expect(half.status).toBe(400);
    expect((await errorOf(half)).param).toBe('expires_after[anchor]');
  });

  it('large uploads take expires_after too; the File they create expires with it', async () => {
    const text = chatJsonl(10);
    const res = await api.call('POST', '/v1/uploads', {
      json: {
        filename: 'big.jsonl',
        purpose: 'fine-tune',
        bytes: Buffer.byteLength(text),
        mime_type: 'application/jsonl',
        expires_after: { anchor: 'created_at', seconds: 7200 },
      },
    });
    expect(res.status).toBe(200);
    const upload = await res.json();
    const put = await fetch(upload.parts[0].url, { method: 'PUT', body: text });
    expect(put.status).toBe(200);
    const done = await (await api.call('POST', `/v1/uploads/${upload.id}/complete`, { json: {} })).json();
    expect(done.file.expires_at).toBe(done.file.created_at + 7200);
  });

  it('accepts every purpose OpenAI accepts for uploads, and says which when refusing another', async () => {
    for (const purpose of ['assistants', 'batch', 'vision', 'user_data', 'evals']) {
      const res = await api.upload('any bytes', { purpose, filename: 'x.bin' });
      expect(res.status, purpose).toBe(200);
      expect(await res.json()).toMatchObject({ purpose, status: 'processed' });
    }
    const res = await api.upload('any bytes', { purpose: 'fine-tune-results', filename: 'x.csv' });
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.param).toBe('purpose');
    expect(err.message).toMatch(/assistants.*batch.*fine-tune.*vision.*user_data.*evals/);
  });

  it('lists oldest first with order=asc, paging with after', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      clock.t += 1000;
      ids.push((await (await api.upload(chatJsonl(10), { key: api.keyB })).json()).id);
    }
    const first = await (await api.call('GET', '/v1/files?order=asc&limit=2', { key: api.keyB })).json();
    expect(first.data.map((f: { id: string }) => f.id)).toEqual(ids.slice(0, 2));
    expect(first).toMatchObject({ has_more: true, first_id: ids[0], last_id: ids[1] });
    const rest = await (
      await api.call('GET', `/v1/files?order=asc&limit=2&after=${first.last_id}`, { key: api.keyB })
    ).json();
    expect(rest.data.map((f: { id: string }) => f.id)).toEqual([ids[2]]);
    const desc = await (await api.call('GET', '/v1/files?order=desc', { key: api.keyB })).json();
    expect(desc.data.map((f: { id: string }) => f.id)).toEqual([...ids].reverse());
  });
});

describe('lists', () => {
  it('an empty list omits first_id and last_id instead of sending null', async () => {
    const res = await api.call('GET', '/v1/files?purpose=batch_output');
    const page = await res.json();
    expect(page).toEqual({ object: 'list', data: [], has_more: false });
  });
});

describe('fine-tuning jobs', () => {
  let trainingFile: string;
  beforeAll(async () => {
    trainingFile = (await (await api.upload(chatJsonl(20))).json()).id;
  });
  const create = (json: Record<string, unknown>) =>
    api.call('POST', '/v1/fine_tuning/jobs', {
      json: { model: BASE_MODEL, training_file: trainingFile, ...json },
    });

  it('message events carry data {} (an object, never null)', async () => {
    const job = await (await create({})).json();
    const events = await (await api.call('GET', `/v1/fine_tuning/jobs/${job.id}/events`)).json();
    expect(events.data.length).toBeGreaterThan(0);
    for (const e of events.data) {
      expect(e.data, e.message).toBeTypeOf('object');
      expect(e.data, e.message).not.toBeNull();
    }
  });

  it('learning_rate_multiplier has no upper bound but the float32 range the trainer computes in', async () => {
    const hp = (m: number) => ({
      method: { type: 'supervised', supervised: { hyperparameters: { learning_rate_multiplier: m } } },
    });
    const big = await api.call('POST', '/v1/fine_tuning/jobs/estimate', {
      json: { model: BASE_MODEL, training_file: trainingFile, ...hp(1000) },
    });
    expect(big.status).toBe(200);
    const estimate = await big.json();
    expect(estimate.hyperparameter_explanations.learning_rate_multiplier).toMatch(/no upper bound.*float32/);
    const legacy = await create({ hyperparameters: { learning_rate_multiplier: 250 } });
    expect(legacy.status).toBe(200);
    const huge = await create(hp(1e300));
    expect(huge.status).toBe(400);
    expect(await errorOf(huge)).toMatchObject({
      param: 'method.supervised.hyperparameters.learning_rate_multiplier',
    });
  });

  it('takes any suffix OpenAI takes (up to 64 characters); the model id stays well formed', async () => {
    const suffix = 'Sentiment v2: ünïcode/slash & spaces';
    const res = await create({ suffix });
    expect(res.status).toBe(200);
    const job = await res.json();
    expect(job.user_provided_suffix).toBe(suffix);
    const id = fineTunedModelId({ id: job.id, model: BASE_MODEL, tenantId: 'tenant-a', suffix });
    expect(id).toMatch(/^ft:[^:]+:tenant-a:Sentiment-v2-n-code-slash-spaces:[^:/]+$/);
    expect((await create({ suffix: 'x'.repeat(65) })).status).toBe(400);
    expect((await create({ suffix: '' })).status).toBe(400);
  });

  it('integrations stay a clear 400 until they are built', async () => {
    const res = await create({ integrations: [{ type: 'wandb', wandb: { project: 'p' } }] });
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.param).toBe('integrations');
    expect(err.message).toMatch(/not supported/);
    expect((await create({ integrations: [] })).status).toBe(200);
  });
});

describe('x-request-id', () => {
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.baseUrl}${path}`, { headers: { authorization: `Bearer ${api.keyA}`, ...headers } });

  it('is on every response, errors and unknown routes included, and in the access log', async () => {
    const responses = [
      await get('/v1/files'),
      await get('/v1/files/file-nope'),
      await get('/v1/nowhere'),
      await get('/v1/files', { authorization: 'Bearer wrong' }),
      await fetch(`${server.baseUrl}/v1/fine_tuning/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${api.keyA}`, 'content-type': 'application/json' },
        body: '{"model":',
      }),
      await get('/openapi.json'),
    ];
    const ids = responses.map((r) => r.headers.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
    const logged = api.logs.filter((l) => l.message === 'request').map((l) => l.detail?.request_id);
    for (const id of ids) expect(logged).toContain(id);
  });

  it('honours a well-formed incoming id and replaces a malformed one', async () => {
    const mine = await get('/v1/files', { 'x-request-id': 'trace-1234_abc.DEF:9' });
    expect(mine.headers.get('x-request-id')).toBe('trace-1234_abc.DEF:9');
    for (const bad of ['has space', 'x'.repeat(201), 'semi;colon']) {
      const res = await get('/v1/files', { 'x-request-id': bad });
      expect(res.headers.get('x-request-id'), bad).toMatch(/^req_[0-9a-f]{32}$/);
    }
  });
});
