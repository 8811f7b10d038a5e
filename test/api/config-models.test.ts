import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_MODEL, errorOf, startApi, type ApiHarness } from './support';

let api: ApiHarness;

const TOKENIZER = { model: { type: 'WordLevel', vocab: { a: 0, b: 1, c: 2 } }, added_tokens: [{ id: 3 }] };
const CONFIG = {
  model_type: 'llama',
  vocab_size: 8,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 32,
  attention_type: 'linear',
  position_embedding_type: 'rope',
};

beforeAll(async () => {
  api = await startApi();
  await api.env.blobs.put(`models/${BASE_MODEL}/tokenizer.json`, JSON.stringify(TOKENIZER));
});
afterAll(() => api.stop());

const create = (body: unknown, key?: string) =>
  api.call('POST', '/v1/models', { json: body, ...(key ? { key } : {}) });

describe('config-only base models (POST /v1/models)', () => {
  it('creates an untrained model from a config and a tokenizer, listed for its tenant only', async () => {
    const res = await create({ config: CONFIG, tokenizer: BASE_MODEL, suffix: 'linear' });
    expect(res.status).toBe(200);
    const model = await res.json();
    expect(model).toMatchObject({ object: 'model', owned_by: 'tenant-a', untrained: true });
    expect(model.id).toMatch(/^cfg:linear:/);

    const listed = await (await api.call('GET', '/v1/models')).json();
    expect(listed.data).toContainEqual(model);
    expect(listed.data.find((m: { id: string }) => m.id === BASE_MODEL)).not.toHaveProperty('untrained');
    const other = await (await api.call('GET', '/v1/models', { key: api.keyB })).json();
    expect(other.data.map((m: { id: string }) => m.id)).not.toContain(model.id);
    expect(
      (await api.call('GET', `/v1/models/${encodeURIComponent(model.id)}`, { key: api.keyB })).status,
    ).toBe(404);

    const files = await (await api.call('GET', `/v1/models/${encodeURIComponent(model.id)}/files`)).json();
    expect(files.data.map((f: { filename: string }) => f.filename).sort()).toEqual([
      'config.json',
      'tokenizer.json',
    ]);
    const config = await (
      await api.call('GET', `/v1/models/${encodeURIComponent(model.id)}/files/config.json`)
    ).json();
    expect(config).toMatchObject({ attention_type: 'linear', num_key_value_heads: 2 });
  });

  it.each([
    [{ ...CONFIG, attention_type: 'sliding_window' }, 'config.sliding_window', /needs sliding_window/],
    [
      { ...CONFIG, attention_type: 'linear', position_embedding_type: 'alibi' },
      'config.position_embedding_type',
      /alibi/,
    ],
    [{ ...CONFIG, num_key_value_heads: 3 }, 'config.num_key_value_heads', /multiple/],
    [{ ...CONFIG, attention_type: 'sparse' }, 'config.attention_type', /./],
    [{ ...CONFIG, model_type: 'bert' }, 'config.model_type', /./],
  ])(
    'refuses a config that breaks a config.json rule, naming the field (%#)',
    async (config, param, message) => {
      const res = await create({ config, tokenizer: BASE_MODEL });
      expect(res.status).toBe(400);
      const err = await errorOf(res);
      expect(err.param).toBe(param);
      expect(err.message).toMatch(message);
    },
  );

  it('refuses a tokenizer it cannot find or that does not fit the vocabulary', async () => {
    const missing = await create({ config: CONFIG, tokenizer: 'no-such-model' });
    expect(missing.status).toBe(400);
    expect((await errorOf(missing)).param).toBe('tokenizer');
    const small = await create({ config: { ...CONFIG, vocab_size: 3 }, tokenizer: BASE_MODEL });
    expect(small.status).toBe(400);
    const err = await errorOf(small);
    expect(err.param).toBe('config.vocab_size');
    expect(err.message).toMatch(/4 tokens/);
  });
});
