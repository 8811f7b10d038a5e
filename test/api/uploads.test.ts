import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatJsonl } from './data';
import { BASE_MODEL, errorOf, startApi, type ApiHarness } from './support';

const clock = {
  t: Date.now(),
  nowMs() {
    return this.t;
  },
};
const PART = 256 * 1024;

let api: ApiHarness;
beforeAll(async () => {
  // Small parts keep the test fast; s3rver (like S3 for the last part) accepts parts under 5 MiB.
  api = await startApi({ clock, config: { uploadPartBytes: PART } });
});
afterAll(() => api.stop());

interface UploadObj {
  id: string;
  status: string;
  part_size: number;
  part_count: number;
  parts: { part_number: number; url: string; expires_at: number }[] | null;
  file: {
    id: string;
    status: string;
    status_details: string | null;
    format: string | null;
    example_count: number | null;
  } | null;
}

async function begin(bytes: Uint8Array, filename = 'big.jsonl'): Promise<UploadObj> {
  const res = await api.call('POST', '/v1/uploads', {
    json: { filename, purpose: 'fine-tune', bytes: bytes.byteLength, mime_type: 'application/jsonl' },
  });
  expect(res.status).toBe(200);
  return res.json();
}

/** PUTs the parts straight to object storage, as a client would, over HTTP to s3rver. */
async function putParts(upload: UploadObj, bytes: Uint8Array, only?: number[]) {
  for (const p of upload.parts!) {
    if (only && !only.includes(p.part_number)) continue;
    const start = (p.part_number - 1) * upload.part_size;
    const res = await fetch(p.url, { method: 'PUT', body: bytes.slice(start, start + upload.part_size) });
    expect(res.status, `part ${p.part_number}`).toBe(200);
  }
}

const complete = (id: string) => api.call('POST', `/v1/uploads/${id}/complete`, { json: {} });

describe('uploads (presigned multipart)', () => {
  it('takes a large file in parts, validates it by streaming, and creates the File', async () => {
    const text = chatJsonl(1000).repeat(3); // ~600 KB: three parts
    const bytes = new TextEncoder().encode(text);
    const upload = await begin(bytes);
    expect(upload).toMatchObject({
      status: 'pending',
      part_size: PART,
      part_count: Math.ceil(bytes.byteLength / PART),
      file: null,
    });
    expect(upload.id).toMatch(/^upload_/);
    expect(upload.parts).toHaveLength(upload.part_count);
    expect(upload.part_count).toBeGreaterThan(1);
    await putParts(upload, bytes);

    const done = await complete(upload.id);
    expect(done.status).toBe(200);
    const body: UploadObj = await done.json();
    expect(body.status).toBe('completed');
    expect(body.file).toMatchObject({ status: 'processed', format: 'chat', example_count: 3000 });

    const content = await api.call('GET', `/v1/files/${body.file!.id}/content`);
    expect(await content.text()).toBe(text);
    const job = await api.call('POST', '/v1/fine_tuning/jobs', {
      json: { model: BASE_MODEL, training_file: body.file!.id },
    });
    expect(job.status).toBe(200);
    expect((await complete(upload.id)).status).toBe(409);
  });

  it('keeps invalid data as a File in status error that cannot train', async () => {
    const lines = chatJsonl(1000).repeat(3).split('\n');
    lines[2500] = '{"messages": "nope"}';
    const bytes = new TextEncoder().encode(lines.join('\n'));
    const upload = await begin(bytes);
    await putParts(upload, bytes);
    const body: UploadObj = await (await complete(upload.id)).json();
    expect(body.status).toBe('completed');
    expect(body.file!.status).toBe('error');
    expect(body.file!.status_details).toMatch(/line 2501: "messages" must be a non-empty array/);
    const job = await api.call('POST', '/v1/fine_tuning/jobs', {
      json: { model: BASE_MODEL, training_file: body.file!.id },
    });
    expect(job.status).toBe(400);
    expect(await errorOf(job)).toMatchObject({ param: 'training_file', code: 'invalid_file' });
  });

  it('refuses to complete with parts missing, then completes once they arrive', async () => {
    const bytes = new TextEncoder().encode(chatJsonl(1000).repeat(2)); // two parts
    const upload = await begin(bytes);
    await putParts(upload, bytes, [1]);
    const res = await complete(upload.id);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/missing part\(s\) 2/);
    // Renew one part's URL and finish.
    const renewed: UploadObj = await (
      await api.call('POST', `/v1/uploads/${upload.id}/parts`, { json: { part_numbers: [2] } })
    ).json();
    expect(renewed.parts!.map((p) => p.part_number)).toEqual([2]);
    await putParts({ ...upload, parts: [...renewed.parts!, ...upload.parts!.slice(2)] }, bytes);
    expect((await complete(upload.id)).status).toBe(200);
  });

  it('a complete retried after the first died half way (object assembled, upload not recorded) finishes it, once', async () => {
    const bytes = new TextEncoder().encode(chatJsonl(1000).repeat(2));
    const upload = await begin(bytes);
    await putParts(upload, bytes);
    // The first complete assembled the parts, then its Lambda timed out while validating.
    const rec = (await api.env.stores.uploads.get('tenant-a', upload.id))!;
    await api.env.blobs.completeMultipart(
      rec.blobKey,
      rec.multipartId,
      await api.env.blobs.listParts(rec.blobKey, rec.multipartId),
    );
    const retry = await complete(upload.id);
    expect(retry.status).toBe(200);
    const body: UploadObj = await retry.json();
    expect(body).toMatchObject({ status: 'completed', file: { status: 'processed', example_count: 2000 } });
    expect(await (await api.call('GET', `/v1/files/${body.file!.id}/content`)).text()).toBe(
      new TextDecoder().decode(bytes),
    );
  });

  it('a complete that died after recording the File gives the same File when retried (no duplicate)', async () => {
    const bytes = new TextEncoder().encode(chatJsonl(10));
    const upload = await begin(bytes);
    await putParts(upload, bytes);
    const first: UploadObj = await (await complete(upload.id)).json();
    // Simulate the crash between the File write and the upload's status write.
    const rec = (await api.env.stores.uploads.get('tenant-a', upload.id))!;
    await api.env.stores.uploads.put({ ...rec, status: 'pending', fileId: undefined });
    const again: UploadObj = await (await complete(upload.id)).json();
    expect(again.file!.id).toBe(first.file!.id);
  });

  it('refuses part numbers beyond the last part', async () => {
    const upload = await begin(new TextEncoder().encode(chatJsonl(10)));
    const res = await api.call('POST', `/v1/uploads/${upload.id}/parts`, { json: { part_numbers: [1, 9] } });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe('part_numbers[1]');
  });

  it('cancels a pending upload; it cannot complete afterwards', async () => {
    const bytes = new TextEncoder().encode(chatJsonl(10));
    const upload = await begin(bytes);
    const res = await api.call('POST', `/v1/uploads/${upload.id}/cancel`);
    expect(await res.json()).toMatchObject({ id: upload.id, status: 'cancelled' });
    const after = await complete(upload.id);
    expect(after.status).toBe(409);
    expect((await errorOf(after)).code).toBe('upload_not_pending');
  });

  it('shows a pending upload as expired after its lifetime', async () => {
    const upload = await begin(new TextEncoder().encode(chatJsonl(10)));
    clock.t += 25 * 3600_000;
    try {
      expect(await (await api.call('GET', `/v1/uploads/${upload.id}`)).json()).toMatchObject({
        status: 'expired',
      });
      expect((await complete(upload.id)).status).toBe(409);
    } finally {
      clock.t -= 25 * 3600_000;
    }
  });

  it("hides one tenant's uploads from another", async () => {
    const upload = await begin(new TextEncoder().encode(chatJsonl(10)));
    expect((await api.call('GET', `/v1/uploads/${upload.id}`, { key: api.keyB })).status).toBe(404);
    expect((await api.call('POST', `/v1/uploads/${upload.id}/complete`, { key: api.keyB })).status).toBe(404);
    expect((await api.call('POST', `/v1/uploads/${upload.id}/cancel`, { key: api.keyB })).status).toBe(404);
  });

  it('refuses a mime_type that is not a media type (control or non-ASCII characters) with a 400', async () => {
    for (const mime_type of [
      'text/jsonl\t',
      'text/\njsonl',
      'application/jsonl\u0000',
      'text/jsönl',
      'text/日本',
      'jsonl',
    ]) {
      const res = await api.call('POST', '/v1/uploads', {
        json: { filename: 'x.jsonl', purpose: 'fine-tune', bytes: 10, mime_type },
      });
      expect(res.status, JSON.stringify(mime_type)).toBe(400);
      expect(await errorOf(res)).toMatchObject({ param: 'mime_type', type: 'invalid_request_error' });
    }
    const ok = await api.call('POST', '/v1/uploads', {
      json: {
        filename: 'x.jsonl',
        purpose: 'fine-tune',
        bytes: 10,
        mime_type: 'application/jsonl; charset=utf-8',
      },
    });
    expect(ok.status).toBe(200);
  });
});
