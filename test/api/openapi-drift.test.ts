/** The committed contract artefacts match the code: openapi.json and the generated SDK. */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildOpenApiDocument,
  documentationDeps,
  serializeOpenApiDocument,
} from '../../functions/api/document';
import { createApp } from '../../functions/api/app';
import { generateSdk } from '../../openapi/generate';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = mkdtemp(path.join(tmpdir(), 'tuneplane-sdk-'));
afterAll(async () => rm(await tmp, { recursive: true, force: true }));

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('contract drift', () => {
  it('openapi/openapi.json is what the app generates (run `npm run openapi` after changing the contract)', async () => {
    const committed = await readFile(path.join(root, 'openapi/openapi.json'), 'utf8');
    expect(committed).toBe(serializeOpenApiDocument(await buildOpenApiDocument()));
  });

  it('serves the same document at /openapi.json without a key', async () => {
    const res = await createApp(documentationDeps()).request('/openapi.json');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(serializeOpenApiDocument(await buildOpenApiDocument())));
  });

  it('documents every route of the issue with the error envelope', async () => {
    const doc = (await buildOpenApiDocument()) as {
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
    await writeFile(spec, serializeOpenApiDocument(await buildOpenApiDocument()));
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
