/** Bad input of every kind gets a 4xx error envelope naming the field and the rule — never a 5xx. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stores } from '../../functions/ports/store';
import { chatJsonl } from './data';
import { BASE_MODEL, errorOf, startApi, type ApiHarness } from './support';

let api: ApiHarness;
let trainingFile: string;
beforeAll(async () => {
  api = await startApi();
  trainingFile = (await (await api.upload(chatJsonl(10))).json()).id;
});
afterAll(() => api.stop());

interface Case {
  name: string;
  method: string;
  path: string;
  body?: string;
  contentType?: string;
  key?: string | null;
  status: number;
  param?: string | null;
  message?: RegExp;
}

const job = (o: Record<string, unknown>) =>
  JSON.stringify({ model: BASE_MODEL, training_file: 'TRAINING_FILE', ...o });

const cases: Case[] = [
  { name: 'missing auth', method: 'GET', path: '/v1/files', key: null, status: 401, message: /Bearer/ },
  { name: 'unknown key', method: 'GET', path: '/v1/fine_tuning/jobs', key: 'tp_not-a-real-key', status: 401 },
  {
    name: 'unknown route',
    method: 'GET',
    path: '/v1/nothing-here',
    status: 404,
    message: /Unknown request URL/,
  },
  { name: 'unknown method on a route', method: 'PUT', path: '/v1/files', status: 404 },
  {
    name: 'malformed JSON',
    method: 'POST',
    path: '/v1/fine_tuning/jobs',
    body: '{"model": ',
    status: 400,
    message: /not valid JSON/,
  },
  { name: 'empty JSON body', method: 'POST', path: '/v1/fine_tuning/jobs', body: '', status: 400 },
  {
    name: 'JSON array body',
    method: 'POST',
    path: '/v1/fine_tuning/jobs',
    body: '[1]',
    status: 400,
    message: /expected object/,
  },
  {
    name: 'missing required field',
    method: 'POST',
    path: '/v1/fine_tuning/jobs',
    body: JSON.stringify({ model: BASE_MODEL }),
    status: 400,
    param: 'training_file',
  },
  {
    name: 'wrong type',
    method: 'POST',
    path: '/v1/fine_tuning/jobs',
    body: job({ seed: 'abc' }),
    status: 400,
    param: 'seed',
    message: /expected number/,
  },
  {
    name: 'unknown top-level field',
    method: 'POST',
    path: '/v1/fine_tuning/jobs',
    body: job({ learning_rate: 1 }),
    status: 400,
    param: 'learning_rate',
    message: /unknown field/,
  },
  {
    name: 'unknown nested field',
    method: 'POST',
    path: '/v1/fine_tuning/jobs',
    body: job({
      method: {
        type: 'supervised',
        supervised: { hyperparameters: { early_stopping: { patience: 2, bogus: 1 } } },
      },
    }),
    status: 400,
    param: 'method.supervised.hyperparameters.early_stopping.bogus',
  },
  {
    name: 'out of range',
    method: 'POST',
    path: '/v1/fine_tuning/jobs',
    body: job({ method: { type: 'supervised', supervised: { hyperparameters: { dropout: 1.5 } } } }),
    status: 400,
    param: 'method.supervised.hyperparameters.dropout',
    message: />?<1|less than 1|Too big/,
  },
  {
    name: 'unsupported method type',
    method: 'POST',
    path: '/v1/fine_tuning/jobs',
    body: job({ method: { type: 'dpo' } }),
    status: 400,
    param: 'method.type',
  },
  {
    name: 'bad provider',
    method: 'POST',
    path: '/v1/fine_tuning/jobs',
    body: job({ provider: 'gpu-farm' }),
    status: 400,
    param: 'provider',
  },
  {
    name: 'suffix longer than 64 characters (OpenAI takes any 1 to 64)',
    method: 'POST',
    path: '/v1/fine_tuning/jobs',
    body: job({ suffix: 'x'.repeat(65) }),
    status: 400,
    param: 'suffix',
  },
  {
    name: 'too many metadata keys',
    method: 'POST',
    path: '/v1/fine_tuning/jobs',
    body: job({ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }),
    status: 400,
    param: 'metadata',
  },
  {
    name: 'wrong content type for JSON',
    method: 'POST',
    path: '/v1/fine_tuning/jobs',
    body: 'model=x',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
  },
  {
    name: 'JSON sent to the multipart route',
    method: 'POST',
    path: '/v1/files',
    body: '{}',
    contentType: 'application/json',
    status: 415,
  },
  { name: 'limit below range', method: 'GET', path: '/v1/files?limit=0', status: 400, param: 'limit' },
  {
    name: 'limit not a number',
    method: 'GET',
    path: '/v1/fine_tuning/jobs?limit=lots',
    status: 400,
    param: 'limit',
  },
  {
    name: 'more metadata filters than a job can hold',
    method: 'GET',
    path: `/v1/fine_tuning/jobs?${Array.from({ length: 200 }, (_, i) => `metadata[key${i}]=v`).join('&')}`,
    status: 400,
    param: 'metadata',
  },
  {
    name: 'unknown job id',
    method: 'GET',
    path: '/v1/fine_tuning/jobs/ftjob-nope',
    status: 404,
    param: 'fine_tuning_job_id',
  },
  {
    name: 'garbage id',
    method: 'GET',
    path: `/v1/files/${encodeURIComponent('../../etc/passwd')}`,
    status: 404,
  },
  { name: 'unknown upload', method: 'POST', path: '/v1/uploads/upload_nope/complete', status: 404 },
  {
    name: 'upload too large',
    method: 'POST',
    path: '/v1/uploads',
    body: JSON.stringify({
      filename: 'x',
      purpose: 'fine-tune',
      bytes: 2 * 1024 ** 3,
      mime_type: 'application/jsonl',
    }),
    status: 400,
    param: 'bytes',
  },
  {
    name: 'bad purpose on upload',
    method: 'POST',
    path: '/v1/uploads',
    body: JSON.stringify({ filename: 'x', purpose: 'training', bytes: 10, mime_type: 'application/jsonl' }),
    status: 400,
    param: 'purpose',
  },
  {
    name: 'oversize JSON body',
    method: 'POST',
    path: '/v1/fine_tuning/jobs',
    body: job({ suffix: 'x'.repeat(2 * 1024 * 1024) }),
    status: 413,
  },
  {
    name: 'empty Idempotency-Key',
    method: 'POST',
    path: '/v1/fine_tuning/jobs/estimate',
    body: job({}),
    status: 400,
  },
];

describe('bad input battery', () => {
  it.each(cases)('$name → $status', async (c) => {
    const headers: Record<string, string> = {};
    if (c.body !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
    if (c.name === 'empty Idempotency-Key') headers['idempotency-key'] = '';
    const res = await api.call(c.method, c.path, {
      key: c.key,
      body: c.body?.replace('TRAINING_FILE', trainingFile),
      headers,
    });
    expect(res.status).toBe(c.status);
    const err = await errorOf(res);
    if (c.param !== undefined) expect(err.param).toBe(c.param);
    if (c.message) expect(err.message).toMatch(c.message);
    if (c.param && c.status === 400) expect(err.message).toContain(c.param.split('.').pop()!);
  });

  it('multipart without the file part names the field', async () => {
    const form = new FormData();
    form.append('purpose', 'fine-tune');
    const res = await api.call('POST', '/v1/files', { body: form });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe('file');
  });

  it('multipart with an unknown purpose names the field', async () => {
    const res = await api.upload(chatJsonl(10), { purpose: 'pretraining' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe('purpose');
  });

  it('multipart with an unknown field names it', async () => {
    const form = new FormData();
    form.append('purpose', 'fine-tune');
    form.append('file', new File([chatJsonl(10)], 'a.jsonl'));
    form.append('expires_after', '3600');
    const res = await api.call('POST', '/v1/files', { body: form });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ param: 'expires_after', code: 'unknown_parameter' });
  });

  it('a malformed multipart body is a 400', async () => {
    const res = await api.call('POST', '/v1/files', {
      body: '--x\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
    });
    expect(res.status).toBe(400);
    await errorOf(res);
  });

  it('a direct upload over 8 MiB is 413 and points at /v1/uploads', async () => {
    const big = new Uint8Array(8 * 1024 * 1024 + 100 * 1024).fill(0x61);
    const res = await api.upload(big, { filename: 'big.jsonl' });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).message).toMatch(/\/v1\/uploads/);
  });

  it('an oversize chunked body (no Content-Length) is 413 too, with or without Idempotency-Key', async () => {
    const chunk = new TextEncoder().encode(`{"suffix":"${'x'.repeat(64 * 1024)}`);
    for (const headers of [{}, { 'idempotency-key': 'chunked-big' }]) {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent++ < 40)
            c.enqueue(chunk); // ~2.5 MiB, over the 1 MiB JSON limit
          else c.close();
        },
      });
      const res = await api.app.request('http://api.test/v1/fine_tuning/jobs', {
        method: 'POST',
        headers: { authorization: `Bearer ${api.keyA}`, 'content-type': 'application/json', ...headers },
        body,
        duplex: 'half',
      } as RequestInit);
      expect(res.headers.get('content-length')).not.toBe('0');
      expect(res.status, JSON.stringify(headers)).toBe(413);
      await errorOf(res);
    }
  });

  it('bad JSONL names each bad line (first few)', async () => {
    const lines = chatJsonl(12).split('\n');
    lines[1] = '{"prompt": "p"}';
    lines[3] = 'not json';
    lines[8] = JSON.stringify({
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: 'y', weight: 2 },
      ],
    });
    const res = await api.upload(lines.join('\n'));
    expect(res.status).toBe(400);
    const { message } = await errorOf(res);
    expect(message).toMatch(/line 2: "completion" must be a non-empty string/);
    expect(message).toMatch(/line 4: not valid JSON/);
    expect(message).toMatch(/line 9: messages\[1\]\.weight must be 0 or 1/);
  });

  it('a file that failed validation cannot start a job (400 naming training_file)', async () => {
    // Completed uploads keep invalid data as a File with status "error"; simulate one in the store.
    await api.env.stores.files.put({
      id: 'file-broken',
      tenantId: 'tenant-a',
      filename: 'broken.jsonl',
      bytes: 10,
      purpose: 'fine-tune',
      createdAt: 1,
      status: 'error',
      statusDetails: 'line 3: not valid JSON',
      blobKey: 'files/tenant-a/file-broken',
    });
    const res = await api.call('POST', '/v1/fine_tuning/jobs', {
      json: { model: BASE_MODEL, training_file: 'file-broken' },
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ param: 'training_file', code: 'invalid_file' });
  });
});

describe('unexpected failures', () => {
  it('become a logged 500 that reveals nothing', async () => {
    const broken = new Proxy(api.env.stores, {
      get(target, prop: keyof Stores) {
        if (prop !== 'files') return target[prop];
        return {
          ...target.files,
          list: async () => {
            throw new Error('connect ECONNREFUSED 10.0.0.7:8000 (table tuneplane-prod)');
          },
        };
      },
    });
    const other = await startApi({ stores: broken });
    try {
      const res = await other.call('GET', '/v1/files');
      expect(res.status).toBe(500);
      const err = await errorOf(res);
      expect(err).toEqual({
        message: 'The server had an error while processing your request.',
        type: 'server_error',
        param: null,
        code: 'internal_error',
      });
      expect(JSON.stringify(err)).not.toMatch(/ECONNREFUSED|10\.0\.0\.7|tuneplane-prod/);
      expect(
        other.logs.some((l) => l.level === 'error' && /ECONNREFUSED/.test(String(l.detail?.error))),
      ).toBe(true);
    } finally {
      await other.stop();
    }
  });
});
