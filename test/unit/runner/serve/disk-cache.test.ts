import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diskCachedBlobs } from '../../../../runner/serve/disk-cache';
import type { ServeBlobs } from '../../../../runner/serve/models';

/** A blob store that counts what it was asked for. */
function store(objects: Record<string, number>) {
  const gets: string[] = [];
  const blobs: ServeBlobs = {
    async get(key) {
      gets.push(key);
      const n = objects[key];
      if (n === undefined) throw new Error(`no ${key}`);
      return new Uint8Array(n).fill(key.length % 251);
    },
    async head(key) {
      return objects[key] === undefined ? undefined : { bytes: objects[key] };
    },
    async list(prefix) {
      return Object.keys(objects).filter((k) => k.startsWith(prefix));
    },
  };
  return { blobs, gets };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tuneplane-disk-cache-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the /tmp model file cache', () => {
  it('answers a second read from disk with the same bytes, and keeps listing and heads live', async () => {
    const s = store({ 'models/a/model.safetensors': 1000, 'models/a/config.json': 10 });
    const cache = await diskCachedBlobs(s.blobs, { dir, budgetBytes: 10_000 });
    const first = await cache.get('models/a/model.safetensors');
    const again = await cache.get('models/a/model.safetensors');
    expect(Buffer.compare(Buffer.from(first), Buffer.from(again))).toBe(0);
    expect(s.gets).toEqual(['models/a/model.safetensors']);
    expect(cache.stats).toEqual({ hits: 1, misses: 1 });
    await cache.list('models/a/');
    await cache.head('models/a/config.json');
    expect(s.gets).toHaveLength(1);
  });

  it('drops the least recently used files to stay within its budget, and never keeps a file larger than it', async () => {
    const s = store({ a: 400, b: 400, c: 400, huge: 2000 });
    const cache = await diskCachedBlobs(s.blobs, { dir, budgetBytes: 1000 });
    await cache.get('a');
    await cache.get('b');
    await cache.get('a'); // a is now more recent than b
    await cache.get('c'); // b goes
    expect(cache.bytes).toBeLessThanOrEqual(1000);
    expect((await readdir(dir)).length).toBe(2);
    s.gets.length = 0;
    await cache.get('a');
    await cache.get('c');
    expect(s.gets).toEqual([]);
    await cache.get('b');
    expect(s.gets).toEqual(['b']);
    expect((await cache.get('huge')).byteLength).toBe(2000);
    expect(cache.bytes).toBeLessThanOrEqual(1000);
    await cache.get('huge');
    expect(s.gets.filter((k) => k === 'huge')).toHaveLength(2);
  });

  it('finds the files a previous process left in the folder (a Lambda restarted after a timeout)', async () => {
    const s = store({ a: 300, b: 300 });
    const before = await diskCachedBlobs(s.blobs, { dir, budgetBytes: 1000 });
    await before.get('a');
    await before.get('b');
    const after = await diskCachedBlobs(s.blobs, { dir, budgetBytes: 1000 });
    expect(after.bytes).toBe(600);
    s.gets.length = 0;
    await after.get('a');
    expect(s.gets).toEqual([]);
    expect(after.stats.hits).toBe(1);
  });
});
