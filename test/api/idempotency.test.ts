import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../functions/domain/records';
import type { Dispatcher } from '../../functions/ports/dispatcher';
import { chatJsonl } from './data';
import { BASE_MODEL, errorOf, startApi, type ApiHarness } from './support';

/** The clock is the one thing faked: 24 hours cannot pass in a test. */
const clock = {
  t: Date.UTC(2026, 0, 1),
  nowMs() {
    return this.t;
  },
};
const HOUR = 3600_000;

/** A provider that holds submissions until released, so a request can be caught in flight. */
class GatedDispatcher implements Dispatcher {
  // Declared before the promises that assign them (class fields initialise in order).
  private open!: () => void;
  private enter!: () => void;
  gate = new Promise<void>((r) => (this.open = r));
  entered = new Promise<void>((r) => (this.enter = r));
  async submit(job: JobRecord) {
    this.enter();
    await this.gate;
    return { providerJobId: `p-${job.id}` };
  }
  async cancel() {}
  release() {
    this.open();
  }
}

/** Accepts every job at once (the provider of requests that are not caught in flight). */
const immediate: Dispatcher = {
  submit: async (job: JobRecord) => ({ providerJobId: `l-${job.id}` }),
  cancel: async () => {},
};

/** Its first submission never returns: the process serving that request died (Lambda timeout). */
let openAiCalls = 0;
const diesOnFirstCall: Dispatcher = {
  submit: (job: JobRecord) =>
    openAiCalls++ === 0 ? new Promise<never>(() => {}) : Promise.resolve({ providerJobId: `o-${job.id}` }),
  cancel: async () => {},
};

let api: ApiHarness;
let trainingFile: string;
const gated = new GatedDispatcher();

beforeAll(async () => {
  api = await startApi({ clock, dispatchers: { batch: gated, local: immediate, openai: diesOnFirstCall } });
  trainingFile = (await (await api.upload(chatJsonl(10))).json()).id;
});
afterAll(() => api.stop());

const createJob = (key: string, json: Record<string, unknown> = {}, apiKey?: string) =>
  api.call('POST', '/v1/fine_tuning/jobs', {
    json: { model: BASE_MODEL, training_file: trainingFile, ...json },
    headers: { 'Idempotency-Key': key },
    key: apiKey,
  });

const jobCount = async (apiKey?: string) =>
  (await (await api.call('GET', '/v1/fine_tuning/jobs?limit=100', { key: apiKey })).json()).data.length;

describe('Idempotency-Key', () => {
  it('replays the stored response for the same key and body, creating one job', async () => {
    const before = await jobCount();
    const first = await createJob('k-replay', { suffix: 'a' });
    const firstBody = await first.text();
    expect(first.status).toBe(200);
    expect(first.headers.get('Idempotent-Replayed')).toBeNull();
    const second = await createJob('k-replay', { suffix: 'a' });
    expect(second.status).toBe(200);
    expect(second.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await second.text()).toBe(firstBody);
    expect(await jobCount()).toBe(before + 1);
  });

  it('answers 422 when the key is reused with a different body', async () => {
    await createJob('k-mismatch', { suffix: 'a' });
    const res = await createJob('k-mismatch', { suffix: 'b' });
    expect(res.status).toBe(422);
    expect(await errorOf(res)).toMatchObject({
      type: 'idempotency_error',
      code: 'idempotency_key_reused',
      param: 'Idempotency-Key',
    });
  });

  it('compares JSON bodies by meaning: other whitespace or key order replays, another value is 422', async () => {
    const send = (body: string) =>
      api.call('POST', '/v1/fine_tuning/jobs', {
        body,
        headers: { 'Idempotency-Key': 'k-canonical', 'content-type': 'application/json' },
      });
    const first = await send(
      JSON.stringify({ model: BASE_MODEL, training_file: trainingFile, metadata: { a: '1', b: '2' } }),
    );
    expect(first.status).toBe(200);
    const reordered = await send(
      `{\n  "metadata": {"b": "2", "a": "1"},\n  "training_file": "${trainingFile}",\t"model": "${BASE_MODEL}"\n}`,
    );
    expect(reordered.status).toBe(200);
    expect(reordered.headers.get('Idempotent-Replayed')).toBe('true');
    expect((await reordered.json()).id).toBe((await first.json()).id);
    const changed = await send(
      JSON.stringify({ model: BASE_MODEL, training_file: trainingFile, metadata: { a: '1', b: '3' } }),
    );
    expect(changed.status).toBe(422);
  });

  it('answers 422 when the key is reused on another route', async () => {
    await createJob('k-route');
    const res = await api.call('POST', '/v1/uploads', {
      json: { filename: 'x.jsonl', purpose: 'fine-tune', bytes: 10, mime_type: 'application/jsonl' },
      headers: { 'Idempotency-Key': 'k-route' },
    });
    expect(res.status).toBe(422);
  });

  it('answers 409 while the original request is still running, then replays it', async () => {
    const first = createJob('k-inflight', { provider: 'batch' });
    await gated.entered;
    const during = await createJob('k-inflight', { provider: 'batch' });
    expect(during.status).toBe(409);
    expect((await errorOf(during)).code).toBe('idempotency_in_progress');
    gated.release();
    const original = await first;
    expect(original.status).toBe(200);
    const after = await createJob('k-inflight', { provider: 'batch' });
    expect(after.headers.get('Idempotent-Replayed')).toBe('true');
    expect((await after.json()).id).toBe((await original.json()).id);
  });

  it('frees the key of a request that died in flight after a lease, not after 24 hours', async () => {
    void createJob('k-died', { provider: 'openai' }); // never answers: its process died
    await new Promise((r) => setTimeout(r, 200));
    expect((await createJob('k-died', { provider: 'openai' })).status).toBe(409);
    clock.t += 10 * 60_000; // far past any request's timeout (the API Lambda's is 29 s)
    const retry = await createJob('k-died', { provider: 'openai' });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('Idempotent-Replayed')).toBeNull();
    // The retry's response is then kept for the full 24 hours.
    clock.t += 23 * HOUR;
    const replay = await createJob('k-died', { provider: 'openai' });
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect((await replay.json()).id).toBe((await retry.json()).id);
  });

  it('scopes keys per tenant', async () => {
    const a = await (await createJob('k-tenant')).json();
    const bRes = await api.call('POST', '/v1/files', {
      key: api.keyB,
      body: (() => {
        const f = new FormData();
        f.append('purpose', 'fine-tune');
        f.append('file', new File([chatJsonl(10)], 'b.jsonl'));
        return f;
      })(),
    });
    const bFile = (await bRes.json()).id;
    const b = await createJob('k-tenant', { training_file: bFile }, api.keyB);
    expect(b.status).toBe(200);
    expect(b.headers.get('Idempotent-Replayed')).toBeNull();
    expect((await b.json()).id).not.toBe(a.id);
  });

  it('replays 4xx answers too (the request was processed)', async () => {
    const first = await createJob('k-400', { training_file: 'file-missing' });
    expect(first.status).toBe(400);
    const again = await createJob('k-400', { training_file: 'file-missing' });
    expect(again.status).toBe(400);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
  });

  it('fingerprints multipart uploads by their fields, so a re-encoded form replays', async () => {
    const form = () => {
      const f = new FormData();
      f.append('purpose', 'fine-tune');
      f.append('file', new File([chatJsonl(10, 20)], 'same.jsonl'));
      return f;
    };
    const one = await api.call('POST', '/v1/files', {
      body: form(),
      headers: { 'Idempotency-Key': 'k-form' },
    });
    const two = await api.call('POST', '/v1/files', {
      body: form(),
      headers: { 'Idempotency-Key': 'k-form' },
    });
    expect(two.headers.get('Idempotent-Replayed')).toBe('true');
    expect((await two.json()).id).toBe((await one.json()).id);
  });

  it('keeps keys for at least 24 hours, then frees them', async () => {
    const first = await (await createJob('k-ttl')).json();
    clock.t += 23 * HOUR;
    const replay = await createJob('k-ttl');
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect((await replay.json()).id).toBe(first.id);
    clock.t += 2 * HOUR;
    const fresh = await createJob('k-ttl', { suffix: 'new' });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('Idempotent-Replayed')).toBeNull();
  });
});
