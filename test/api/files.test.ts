import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatJsonl, classificationJsonl } from './data';
import { errorOf, startApi, type ApiHarness } from './support';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.stop());

describe('files', () => {
  it('uploads a chat file, validates it and shows what it learned', async () => {
    const content = chatJsonl(12);
    const res = await api.upload(content, { filename: 'reviews.jsonl' });
    expect(res.status).toBe(200);
    const file = await res.json();
    expect(file).toMatchObject({
      object: 'file',
      filename: 'reviews.jsonl',
      purpose: 'fine-tune',
      bytes: Buffer.byteLength(content),
      status: 'processed',
      format: 'chat',
      example_count: 12,
    });
    expect(file.id).toMatch(/^file-/);
    expect(file).not.toHaveProperty('status_details');
    expect(file.token_count).toBeGreaterThan(0);

    const got = await (await api.call('GET', `/v1/files/${file.id}`)).json();
    expect(got).toEqual(file);
    const raw = await api.call('GET', `/v1/files/${file.id}/content`);
    expect(raw.status).toBe(200);
    expect(await raw.text()).toBe(content);
  });

  it('lists classification labels', async () => {
    const file = await (await api.upload(classificationJsonl(30))).json();
    expect(file).toMatchObject({
      format: 'classification',
      labels: ['negative', 'positive'],
      example_count: 30,
    });
  });

  it('refuses bad JSONL with the line and the rule, and stores nothing', async () => {
    const before = (await (await api.call('GET', '/v1/files?limit=100')).json()).data.length;
    const lines = chatJsonl(12).split('\n');
    lines[6] = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] });
    const res = await api.upload(lines.join('\n'));
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.param).toBe('file');
    expect(err.message).toMatch(/line 7: at least one message must have role "assistant"/);
    expect((await (await api.call('GET', '/v1/files?limit=100')).json()).data.length).toBe(before);
  });

  it('refuses plain text for fine-tune but keeps other purposes as they are', async () => {
    const res = await api.upload('To be, or not to be, that is the question.\n', { filename: 'hamlet.txt' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/line 1: not JSONL.*plain text is not accepted/);
    const other = await api.upload('any bytes', { purpose: 'user_data', filename: 'notes.txt' });
    expect(other.status).toBe(200);
    expect(await other.json()).toMatchObject({ purpose: 'user_data', status: 'processed', format: null });
  });

  it('applies the per-line length limit to direct uploads too: a 5 MB line is refused, naming the line', async () => {
    const lines = chatJsonl(12).split('\n');
    lines[3] = JSON.stringify({
      messages: [
        { role: 'user', content: 'x'.repeat(5 * 1024 * 1024) },
        { role: 'assistant', content: 'ok' },
      ],
    });
    const res = await api.upload(lines.join('\n'));
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.param).toBe('file');
    expect(err.message).toMatch(/line 4: longer than \d+ characters/);
  });

  it('pages newest first with after/limit and filters by purpose', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await (await api.upload(chatJsonl(10, i * 10), { purpose: 'fine-tune' })).json()).id);
    const first = await (await api.call('GET', '/v1/files?limit=2&purpose=fine-tune')).json();
    expect(first).toMatchObject({ object: 'list', has_more: true });
    expect(first.data.map((f: { id: string }) => f.id)).toEqual([ids[2], ids[1]]);
    expect(first.first_id).toBe(ids[2]);
    expect(first.last_id).toBe(ids[1]);
    const second = await (
      await api.call('GET', `/v1/files?limit=2&purpose=fine-tune&after=${first.last_id}`)
    ).json();
    expect(second.data[0].id).toBe(ids[0]);
    const userData = await (await api.call('GET', '/v1/files?purpose=user_data')).json();
    expect(userData.data.every((f: { purpose: string }) => f.purpose === 'user_data')).toBe(true);
  });

  it('deletes a file: gone from retrieve, content and list', async () => {
    const file = await (await api.upload(chatJsonl(10))).json();
    const del = await api.call('DELETE', `/v1/files/${file.id}`);
    expect(await del.json()).toEqual({ id: file.id, object: 'file', deleted: true });
    expect((await api.call('GET', `/v1/files/${file.id}`)).status).toBe(404);
    expect((await api.call('GET', `/v1/files/${file.id}/content`)).status).toBe(404);
    expect((await api.call('DELETE', `/v1/files/${file.id}`)).status).toBe(404);
  });

  it("hides one tenant's files from another (404, never 403)", async () => {
    const file = await (await api.upload(chatJsonl(10))).json();
    for (const [method, path] of [
      ['GET', `/v1/files/${file.id}`],
      ['GET', `/v1/files/${file.id}/content`],
      ['DELETE', `/v1/files/${file.id}`],
    ]) {
      const res = await api.call(method, path, { key: api.keyB });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((await errorOf(res)).type).toBe('not_found_error');
    }
    const listB = await (await api.call('GET', '/v1/files', { key: api.keyB })).json();
    expect(listB.data.find((f: { id: string }) => f.id === file.id)).toBeUndefined();
    expect((await api.call('GET', `/v1/files/${file.id}`)).status).toBe(200);
  });
});
