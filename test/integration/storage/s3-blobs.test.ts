import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../../functions/adapters/s3';
import { NotFoundError } from '../../../functions/errors';
import { startEmbedded, type Embedded } from '../../support/embedded';

let env: Embedded;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

beforeAll(async () => {
  env = await startEmbedded();
});
afterAll(() => env?.stop());

describe('S3 blob store on s3rver', () => {
  it('puts, gets, streams, heads and deletes objects', async () => {
    await env.blobs.put('files/t/file-1', '{"a":1}\n', 'application/jsonl');
    expect(text(await env.blobs.get('files/t/file-1'))).toBe('{"a":1}\n');
    expect(await env.blobs.head('files/t/file-1')).toEqual({ bytes: 8 });
    const chunks: Uint8Array[] = [];
    for await (const c of (await env.blobs.getStream(
      'files/t/file-1',
    )) as unknown as AsyncIterable<Uint8Array>)
      chunks.push(c);
    expect(Buffer.concat(chunks).toString()).toBe('{"a":1}\n');
    await env.blobs.delete('files/t/file-1');
    expect(await env.blobs.head('files/t/file-1')).toBeUndefined();
    await expect(env.blobs.get('files/t/file-1')).rejects.toBeInstanceOf(NotFoundError);
    await expect(env.blobs.getStream('files/t/file-1')).rejects.toBeInstanceOf(NotFoundError);
    await env.blobs.delete('files/t/never-existed');
  });

  it('lists every key under a prefix across pages', async () => {
    const keys = Array.from({ length: 7 }, (_, i) => `checkpoints/ftjob-l/ftckpt-${i}/model.safetensors`);
    await Promise.all(keys.map((k) => env.blobs.put(k, 'x')));
    await env.blobs.put('checkpoints/ftjob-other/a', 'x');
    // Pages of 3 make s3rver issue continuation tokens (which need --openssl-legacy-provider).
    const small = new S3BlobStore(env.clients.s3, env.config.bucket, 3);
    expect(await small.list('checkpoints/ftjob-l/')).toEqual(keys.sort());
    expect(await env.blobs.list('checkpoints/none/')).toEqual([]);
  });

  it('completes a presigned multipart upload sent with plain fetch PUTs', async () => {
    const key = 'uploads/t/upload_1';
    const id = await env.blobs.createMultipart(key, 'application/jsonl');
    const part1 = Buffer.alloc(5 * 1024 * 1024, 'a'); // S3's minimum size for a non-last part
    const part2 = Buffer.from('the end\n');
    const urls = await Promise.all([1, 2].map((n) => env.blobs.presignPart(key, id, n, 600)));
    expect(urls[0]).toMatch(/X-Amz-Signature=/);
    // Parts may arrive in any order.
    const r2 = await fetch(urls[1], { method: 'PUT', body: part2 });
    const r1 = await fetch(urls[0], { method: 'PUT', body: part1 });
    expect([r1.status, r2.status]).toEqual([200, 200]);
    const parts = await env.blobs.listParts(key, id);
    expect(parts.map((p) => p.partNumber)).toEqual([1, 2]);
    expect(parts.map((p) => p.etag)).toEqual([r1.headers.get('etag'), r2.headers.get('etag')]);
    await env.blobs.completeMultipart(key, id, parts);
    const got = await env.blobs.get(key);
    expect(got.byteLength).toBe(part1.length + part2.length);
    expect(Buffer.from(got.subarray(part1.length)).toString()).toBe('the end\n');
    await expect(env.blobs.listParts(key, id)).rejects.toBeInstanceOf(NotFoundError);
  });

  // (s3rver does not verify SigV4 signatures, so a tampered URL cannot be tested here.)
  it('aborts an upload: its parts are gone and no object appears', async () => {
    const key = 'uploads/t/upload_2';
    const id = await env.blobs.createMultipart(key, 'application/jsonl');
    const url = await env.blobs.presignPart(key, id, 1, 600);
    expect((await fetch(url, { method: 'PUT', body: 'x' })).status).toBe(200);
    expect(await env.blobs.listParts(key, id)).toHaveLength(1);
    await env.blobs.abortMultipart(key, id);
    await env.blobs.abortMultipart(key, id);
    await expect(env.blobs.listParts(key, id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await env.blobs.head(key)).toBeUndefined();
  });
});
