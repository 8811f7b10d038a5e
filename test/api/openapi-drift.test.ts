/**
 * The contract and the app agree: openapi.json and the generated SDK are what the contract
 * generates, and the app serves exactly the operations the document lists.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../../functions/api/app';
import { apiContext } from '../../functions/api/context';
import { envelope, errorHandler } from '../../functions/api/errors';
import { groupApp } from '../../functions/api/group-app';
import { routeGroups } from '../../functions/api/route-groups';
import { openApiDocument, serializeOpenApiDocument } from '../../openapi/document';
import { generateSdk } from '../../openapi/generate';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = mkdtemp(path.join(tmpdir(), 'tuneplane-sdk-'));
afterAll(async () => rm(await tmp, { recursive: true, force: true }));

/** An object whose every property is a function that throws: no handler runs in these tests. */
function placeholder<T>(name: string): T {
  return new Proxy(
    {},
    {
      get: (_t, prop) =>
        prop === 'then'
          ? undefined
          : () => {
              throw new Error(`${name}.${String(prop)} is not available here`);
            },
    },
  ) as T;
}
const placeholders = <T>(name: string): T =>
  new Proxy({}, { get: (_t, prop) => placeholder(`${name}.${String(prop)}`) }) as T;

/** Dependencies enough to mount every route group (the optional ones included) and route, never to handle. */
function routingDeps(): AppDeps {
  return {
    stores: placeholders('stores'),
    blobs: placeholder('blobs'),
    clock: placeholder('clock'),
    ids: placeholder('ids'),
    webhooks: {
      stores: placeholders('webhooks.stores'),
      secrets: placeholder('secrets'),
      checkUrl: () => null,
    },
    sweeps: { store: placeholder('sweeps.store') },
    inference: placeholder('inference'),
    evals: { store: placeholder('evals.store') },
    providers: {
      openai: { verify: placeholder('openai.verify'), mirror: placeholder('mirror') },
    },
  };
}

/** Served but deliberately not in the document: provider callbacks, signed by the provider, not part of the public API. */
const UNDOCUMENTED = ['post /v1/providers/openai/webhook'];

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('contract drift', () => {
  it('openapi/openapi.json is what the contract generates (run `npm run openapi` after changing the contract)', async () => {
    const committed = await readFile(path.join(root, 'openapi/openapi.json'), 'utf8');
    expect(committed).toBe(serializeOpenApiDocument(openApiDocument()));
  });

  it('serves the same document at /openapi.json without a key', async () => {
    const res = await createApp(routingDeps()).request('/openapi.json');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(serializeOpenApiDocument(openApiDocument())));
  });

  it('the app serves exactly the operations the document lists', async () => {
    const deps = routingDeps();
    const ctx = apiContext(deps);
    // Hono lists a route once per handler (validators included): a set of method and path.
    const served = new Set<string>();
    for (const group of routeGroups(deps)) {
      const sub = groupApp({
        onError: errorHandler(ctx.logger),
        notFound: (c) => envelope(c, 404, { message: '', type: '', param: null, code: null }),
      });
      await group.register(sub, ctx);
      for (const r of sub.routes) if (r.method !== 'ALL') served.add(`${r.method.toLowerCase()} ${r.path}`);
    }
    const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect([...served].sort()).toEqual([...documented, ...UNDOCUMENTED].sort());
  });

  it('documents every route of the issue with the error envelope', async () => {
    const doc = openApiDocument() as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const expected = [
      'post /v1/files',
      'get /v1/files',
      'get /v1/files/{file_id}',
      'get /v1/files/{file_id}/content',
      'delete /v1/files/{file_id}',
      'post /v1/uploads',
      'get /v1/uploads/{upload_id}',
      'post /v1/uploads/{upload_id}/parts',
      'post /v1/uploads/{upload_id}/complete',
      'post /v1/uploads/{upload_id}/cancel',
      'post /v1/fine_tuning/jobs',
      'get /v1/fine_tuning/jobs',
      'post /v1/fine_tuning/jobs/estimate',
      'get /v1/fine_tuning/jobs/{fine_tuning_job_id}',
      'post /v1/fine_tuning/jobs/{fine_tuning_job_id}/cancel',
      'post /v1/fine_tuning/jobs/{fine_tuning_job_id}/pause',
      'post /v1/fine_tuning/jobs/{fine_tuning_job_id}/resume',
      'get /v1/fine_tuning/jobs/{fine_tuning_job_id}/events',
      'get /v1/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints',
      'get /v1/models',
      'get /v1/models/{model}',
      'delete /v1/models/{model}',
    ];
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m} ${p}`),
    );
    expect(documented).toEqual(expect.arrayContaining(expected));
    for (const op of expected) {
      const [m, p] = op.split(' ');
      expect(Object.keys(doc.paths[p][m].responses), op).toEqual(
        expect.arrayContaining(['200', '400', '401', '404', '500']),
      );
    }
  });

  it('openapi/sdk is what @hey-api/openapi-ts generates from it', async () => {
    const dir = await tmp;
    const spec = path.join(dir, 'openapi.json');
    await writeFile(spec, serializeOpenApiDocument(openApiDocument()));
    const out = path.join(dir, 'sdk');
    await generateSdk(spec, out);
    const committedDir = path.join(root, 'openapi/sdk');
    const names = await filesUnder(out);
    expect(await filesUnder(committedDir)).toEqual(names);
    for (const name of names) {
      expect(await readFile(path.join(committedDir, name), 'utf8'), name).toBe(
        await readFile(path.join(out, name), 'utf8'),
      );
    }
  });
});
