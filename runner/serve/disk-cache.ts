/**
 * Model files kept on local disk between loads: a `ServeBlobs` in front of the blob store whose
 * `get` answers from a folder (Lambda's /tmp) when it can, least recently used files going first
 * once the folder holds more than its budget. Lambda keeps /tmp for the life of an execution
 * environment, across invocations and across a process restart after a timeout or crash, while
 * the in-memory model cache (models.ts) is smaller and is lost with the process; a model evicted
 * from memory, or a restarted process, then loads from disk instead of S3.
 *
 * Entries are keyed by object key: a fine-tuned model's or a checkpoint's weights each have their
 * own key (`models/<model>/model.safetensors`, `checkpoints/<job>/step-<n>/model.safetensors`),
 * and the base folder's small files (config, tokenizer) are shared by its checkpoints. Objects
 * under those keys are written once and never changed (a published model or checkpoint is
 * immutable), so an entry never needs revalidating. `list` and `head` always ask the store: they
 * are what tells a deleted model from a live one.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServeBlobs } from './models';

export interface DiskCacheOptions {
  /** The folder the files go to (created if missing). */
  dir: string;
  /** Bytes of files the folder may hold. */
  budgetBytes: number;
}

interface Entry {
  file: string;
  bytes: number;
  lastUsed: number;
}

export interface DiskCachedBlobs extends ServeBlobs {
  /** Object keys answered from disk since start, and fetched from the store. */
  readonly stats: { hits: number; misses: number };
  /** Bytes on disk now. */
  readonly bytes: number;
}

const fileOf = (dir: string, key: string) =>
  path.join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.blob`);

export async function diskCachedBlobs(store: ServeBlobs, opts: DiskCacheOptions): Promise<DiskCachedBlobs> {
  await mkdir(opts.dir, { recursive: true });
  const entries = new Map<string, Entry>();
  // Files a previous process of this environment left: kept, in the order they were last used.
  // Their keys are unknown until asked for again; they count against the budget meanwhile.
  const orphans = new Map<string, Entry>();
  for (const name of await readdir(opts.dir)) {
    const file = path.join(opts.dir, name);
    if (!name.endsWith('.blob')) {
      await rm(file, { force: true }); // a write a crash interrupted
      continue;
    }
    const s = await stat(file);
    orphans.set(file, { file, bytes: s.size, lastUsed: s.mtimeMs });
  }
  let clock = Math.max(Date.now(), ...[...orphans.values()].map((e) => e.lastUsed));
  const stats = { hits: 0, misses: 0 };
  const total = () => {
    let n = 0;
    for (const e of entries.values()) n += e.bytes;
    for (const e of orphans.values()) n += e.bytes;
    return n;
  };

  /** Least recently used files go until `incoming` more bytes fit the budget. */
  async function makeRoom(incoming: number): Promise<void> {
    while (total() + incoming > opts.budgetBytes) {
      const candidates = [...entries.values(), ...orphans.values()];
      if (candidates.length === 0) return;
      const victim = candidates.reduce((a, b) => (b.lastUsed < a.lastUsed ? b : a));
      for (const [k, e] of entries) if (e === victim) entries.delete(k);
      orphans.delete(victim.file);
      await rm(victim.file, { force: true });
    }
  }

  async function fromDisk(key: string): Promise<Uint8Array | undefined> {
    const file = fileOf(opts.dir, key);
    let entry = entries.get(key);
    if (!entry) {
      const orphan = orphans.get(file);
      if (!orphan) return undefined;
      orphans.delete(file);
      entry = orphan;
      entries.set(key, entry);
    }
    try {
      const bytes = await readFile(file);
      entry.lastUsed = ++clock;
      // mtime carries the order to the next process of this environment.
      await utimes(file, new Date(), new Date(entry.lastUsed)).catch(() => undefined);
      return bytes;
    } catch {
      entries.delete(key);
      return undefined;
    }
  }

  return {
    stats,
    get bytes() {
      return total();
    },
    list: (prefix) => store.list(prefix),
    head: (key) => store.head(key),
    async get(key) {
      const cached = await fromDisk(key);
      if (cached) {
        stats.hits++;
        return cached;
      }
      stats.misses++;
      const bytes = await store.get(key);
      // Larger than the whole folder: served, never kept.
      if (bytes.byteLength > opts.budgetBytes) return bytes;
      const file = fileOf(opts.dir, key);
      const partial = `${file}.${process.pid}.partial`;
      try {
        // Room first: the folder never holds more than its budget, so the disk never fills.
        await makeRoom(bytes.byteLength);
        await writeFile(partial, bytes);
        await rename(partial, file);
        entries.set(key, { file, bytes: bytes.byteLength, lastUsed: ++clock });
      } catch {
        // A full disk costs the cache, never the request.
        await rm(partial, { force: true });
      }
      return bytes;
    },
  };
}
