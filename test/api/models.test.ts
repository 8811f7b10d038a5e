import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_MODEL, errorOf, startApi, type ApiHarness } from './support';

let api: ApiHarness;
const FT = `ft:${BASE_MODEL}:tenant-a:reviews:ftjob-x`;

beforeAll(async () => {
  api = await startApi();
  await api.env.blobs.put(`models/${FT}/config.json`, '{}');
  await api.env.blobs.put(`models/${FT}/model.safetensors`, new Uint8Array(16));
  await api.env.stores.models.put({
    id: FT,
    tenantId: 'tenant-a',
    createdAt: 1_700_000_100,
    ownedBy: 'tenant-a',
    jobId: 'ftjob-x',
    blobPrefix: `models/${FT}`,
  });
});
afterAll(() => api.stop());

describe('models', () => {
  it('lists base models for everyone and fine-tuned models for their owner', async () => {
    const a = await (await api.call('GET', '/v1/models')).json();
    expect(a.object).toBe('list');
    expect(a.data).toEqual(
      expect.arrayContaining([
        {
          id: BASE_MODEL,
          object: 'model',
          created: 1_700_000_000,
          owned_by: 'tuneplane',
          base_model: null,
          lineage: [],
        },
        {
          id: FT,
          object: 'model',
          created: 1_700_000_100,
          owned_by: 'tenant-a',
          base_model: null,
          lineage: [],
        },
      ]),
    );
    const b = await (await api.call('GET', '/v1/models', { key: api.keyB })).json();
    expect(b.data.map((m: { id: string }) => m.id)).toEqual([BASE_MODEL]);
  });

  it('retrieves a model by id (ids with colons included)', async () => {
    expect(await (await api.call('GET', `/v1/models/${encodeURIComponent(FT)}`)).json()).toMatchObject({
      id: FT,
      object: 'model',
    });
    expect((await api.call('GET', `/v1/models/${encodeURIComponent(FT)}`, { key: api.keyB })).status).toBe(
      404,
    );
  });

  it('refuses to delete a base model', async () => {
    const res = await api.call('DELETE', `/v1/models/${BASE_MODEL}`);
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toMatchObject({ type: 'permission_error', param: 'model' });
  });

  it("deletes its owner's fine-tuned model and its weights; others get 404", async () => {
    expect((await api.call('DELETE', `/v1/models/${encodeURIComponent(FT)}`, { key: api.keyB })).status).toBe(
      404,
    );
    const res = await api.call('DELETE', `/v1/models/${encodeURIComponent(FT)}`);
    expect(await res.json()).toEqual({ id: FT, object: 'model', deleted: true });
    expect((await api.call('GET', `/v1/models/${encodeURIComponent(FT)}`)).status).toBe(404);
    expect(await api.env.blobs.list(`models/${FT}/`)).toEqual([]);
    expect(await api.env.blobs.head(`models/${BASE_MODEL}/config.json`)).toBeDefined();
  });
});
