/**
 * The inference server's guarantees, on the built-in base model served from an in-memory bucket:
 * a model over the memory budget is refused before loading; the least recently used model goes
 * when another needs the room; tenants take turns; a request whose caller went away stops decoding
 * and gives its slot back.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GenerationJob, GenerationStreamEvent } from '../../../../openapi/inference';
import { initBackend } from '../../../../runner/backend';
import { InferenceServer, ServeFailure, type ServeBlobs } from '../../../../runner/serve';

const FOLDER = path.resolve(import.meta.dirname, '../../../../runner/base-models/tuneplane-tiny-char');
const blobs = new Map<string, Uint8Array>();
const bucket: ServeBlobs = {
  get: async (key) => {
    const b = blobs.get(key);
    if (!b) throw new Error(`no ${key}`);
    return b;
  },
  head: async (key) => (blobs.has(key) ? { bytes: blobs.get(key)!.length } : undefined),
  list: async (prefix) => [...blobs.keys()].filter((k) => k.startsWith(prefix)),
};
let weightBytes = 0;

beforeAll(async () => {
  await initBackend({ log: () => undefined });
  for (const f of await readdir(FOLDER))
    for (const model of ['one', 'two'])
      blobs.set(`models/${model}/${f}`, new Uint8Array(await readFile(path.join(FOLDER, f))));
  weightBytes = blobs.get('models/one/model.safetensors')!.length;
});

const job = (tenantId: string, model = 'one', maxTokens = 8): GenerationJob => ({
  tenantId,
  model: { name: model, folder: `models/${model}/` },
  input: { kind: 'text', prompt: 'To be, or not' },
  params: {
    n: 1,
    maxTokens,
    maxTokensParam: 'max_tokens',
    temperature: 0,
    topP: 1,
    presencePenalty: 0,
    frequencyPenalty: 0,
    logitBias: {},
    stop: [],
  },
});

const server = (over: Partial<{ modelBudgetBytes: number; maxActive: number }> = {}) =>
  new InferenceServer(bucket, {
    modelBudgetBytes: over.modelBudgetBytes ?? 10 * weightBytes,
    requestBudgetBytes: 64 * 2 ** 20,
    maxActive: over.maxActive ?? 4,
  });

describe('InferenceServer', () => {
  it('refuses a model whose weights exceed the budget with a 400 naming model', async () => {
    const err = await server({ modelBudgetBytes: weightBytes - 1 })
      .run(job('a'), () => undefined)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServeFailure);
    expect((err as ServeFailure).failure).toMatchObject({
      status: 400,
      code: 'model_too_large',
      param: 'model',
    });
  });

  it('evicts the least recently used model when another needs the room', async () => {
    const s = server({ modelBudgetBytes: Math.floor(1.5 * weightBytes) });
    await s.run(job('a', 'one'), () => undefined);
    expect(s.models.loaded()).toEqual(['models/one/']);
    await s.run(job('a', 'two'), () => undefined);
    expect(s.models.loaded()).toEqual(['models/two/']);
  });

  it('lets tenants take turns: one tenant’s backlog does not hold another’s request', async () => {
    const s = server({ maxActive: 1 });
    const started: string[] = [];
    const run = (tenant: string, label: string) =>
      s.run(job(tenant), (e) => {
        if (e.type === 'start') started.push(label);
      });
    await Promise.all([run('a', 'a1'), run('a', 'a2'), run('a', 'a3'), run('b', 'b1')]);
    expect(started).toEqual(['a1', 'b1', 'a2', 'a3']);
  });

  it('stops a generation whose caller went away and frees its slot', async () => {
    const s = server({ maxActive: 1 });
    const controller = new AbortController();
    const events: GenerationStreamEvent[] = [];
    const long = s.run(
      job('a', 'one', 100),
      (e) => {
        events.push(e);
        if (e.type === 'delta' && events.filter((x) => x.type === 'delta').length === 3) controller.abort();
      },
      controller.signal,
    );
    await long;
    expect(events.filter((e) => e.type === 'delta')).toHaveLength(3);
    expect(events.some((e) => e.type === 'done' || e.type === 'finish')).toBe(false);
    expect(s.running).toBe(0);
    // The slot is free: the next request runs to its end.
    const after: GenerationStreamEvent[] = [];
    await s.run(job('b'), (e) => after.push(e));
    expect(after.at(-1)?.type).toBe('done');
  });
});
