/**
 * `npm start` as a user runs it: a child process, talked to over HTTP, stopped with Ctrl-C
 * (SIGINT to its process group), restarted on the same data directory.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, start, stop, type Running } from '../support/npm-start';

const get = (r: Running, p: string, key: string | null = r.apiKey) =>
  fetch(r.baseUrl + p, { headers: key ? { authorization: `Bearer ${key}` } : {} });

let dataDir: string;
let modelsDir: string;
let port: number;
const running: Running[] = [];
const ENV_KEY = 'tp_test_key_from_environment_0123456789';
const TRAINING = Array.from({ length: 12 }, (_, i) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: `Hi ${i}` },
      { role: 'assistant', content: `Hello ${i}!` },
    ],
  }),
).join('\n');

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tuneplane-local-'));
  port = await freePort();
  // A built-in base model folder in the Hugging Face layout (tiny stand-in files).
  modelsDir = path.join(dataDir, 'base-models');
  await mkdir(path.join(modelsDir, 'tiny-gpt2'), { recursive: true });
  const config = { model_type: 'gpt2', n_embd: 32, n_layer: 2, n_head: 2, n_positions: 128, vocab_size: 300 };
  await writeFile(path.join(modelsDir, 'tiny-gpt2', 'config.json'), JSON.stringify(config));
  await writeFile(path.join(modelsDir, 'tiny-gpt2', 'model.safetensors'), Buffer.alloc(64));
  await writeFile(path.join(modelsDir, 'tiny-gpt2', 'tokenizer.json'), '{}');
});
afterAll(async () => {
  for (const r of running)
    if (r.child.exitCode === null && r.child.signalCode === null) await stop(r).catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start (embedded stack)', () => {
  let fileId: string;
  let generatedKey: string;

  it('serves the API on PORT with the key from TUNEPLANE_API_KEY, and refuses requests without it', async () => {
    const r = await start({
      PORT: String(port),
      TUNEPLANE_DATA_DIR: dataDir,
      TUNEPLANE_BASE_MODELS_DIR: modelsDir,
      TUNEPLANE_API_KEY: ENV_KEY,
    });
    running.push(r);
    expect(r.baseUrl).toBe(`http://127.0.0.1:${port}/v1`);
    expect(r.apiKey).toBe(ENV_KEY);

    expect(r.output()).toContain('Base models: tiny-gpt2');
    const models = await get(r, '/models');
    expect(models.status).toBe(200);
    expect(await models.json()).toMatchObject({
      object: 'list',
      data: [expect.objectContaining({ id: 'tiny-gpt2' })],
    });
    const files = await get(r, '/files');
    expect(files.status).toBe(200);
    expect(await files.json()).toMatchObject({ object: 'list', data: [] });

    const anonymous = await get(r, '/files', null);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { type: 'authentication_error' } });
    expect((await get(r, '/models', 'tp_wrong')).status).toBe(401);

    // Every request leaves one JSON access-log line, found by the id the response carries.
    const requestId = anonymous.headers.get('x-request-id')!;
    expect(requestId).toMatch(/^req_[0-9a-f]{32}$/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const line = r
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.request_id === requestId);
    expect(line).toMatchObject({ level: 'INFO', message: 'request', path: '/v1/files', status: 401 });
    expect(line!.ms).toBeTypeOf('number');

    const form = new FormData();
    form.set('purpose', 'fine-tune');
    form.set('file', new Blob([TRAINING], { type: 'application/jsonl' }), 'train.jsonl');
    const created = await fetch(r.baseUrl + '/files', {
      method: 'POST',
      headers: { authorization: `Bearer ${r.apiKey}` },
      body: form,
    });
    expect(created.status, await created.clone().text()).toBe(200);
    fileId = ((await created.json()) as { id: string }).id;
    expect(fileId).toMatch(/^file-/);

    // A second stack on the same data directory is refused with a clear message.
    await expect(
      start({ PORT: '0', TUNEPLANE_DATA_DIR: dataDir, TUNEPLANE_BASE_MODELS_DIR: modelsDir }),
    ).rejects.toThrow(/in use by another Tuneplane/);

    const exit = await stop(r);
    expect(r.output()).toContain('Stopped.');
    expect(exit.code === 0 || exit.signal === 'SIGINT').toBe(true);
  });

  it('keeps data across a restart and prints a generated key that later starts print again', async () => {
    const r = await start({
      PORT: String(port),
      TUNEPLANE_DATA_DIR: dataDir,
      TUNEPLANE_BASE_MODELS_DIR: modelsDir,
      TUNEPLANE_API_KEY: '',
    });
    running.push(r);
    expect(r.output()).toContain('API key (new):');
    generatedKey = r.apiKey;
    expect(generatedKey).toMatch(/^tp_[0-9A-Za-z]{43}$/);

    // The environment key registered by the first start still opens the same tenant's data.
    const file = await get(r, `/files/${fileId}`, ENV_KEY);
    expect(file.status).toBe(200);
    expect(await file.json()).toMatchObject({ id: fileId, filename: 'train.jsonl', bytes: TRAINING.length });
    const content = await get(r, `/files/${fileId}/content`, ENV_KEY);
    expect(await content.text()).toBe(TRAINING);
    await stop(r);

    const again = await start({
      PORT: String(port),
      TUNEPLANE_DATA_DIR: dataDir,
      TUNEPLANE_BASE_MODELS_DIR: modelsDir,
      TUNEPLANE_API_KEY: '',
    });
    running.push(again);
    expect(again.apiKey).toBe(generatedKey);
    expect(again.output()).not.toContain('API key (new):');
    const models = (await (await get(again, '/models')).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(['tiny-gpt2']);
    const exit = await stop(again);
    expect(again.output()).toContain('Stopped.');
    expect(exit.code === 0 || exit.signal === 'SIGINT').toBe(true);
  });
});
