/**
 * Where checkpoints live: a small interface with a local-folder implementation and one over a blob
 * store (S3 in production, s3rver on the embedded stack). Paths are relative to the root.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';

/**
 * The four blob operations checkpoints need. The service's BlobStore port (functions/ports/blobs.ts)
 * has them with these signatures, so its S3 adapter is one as it is; the trainer does not import the
 * service (docs/ARCHITECTURE.md, "Folders and who may import whom").
 */
export interface CheckpointBlobs {
  put(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  delete(key: string): Promise<void>;
  /** Every key under the prefix. */
  list(prefix: string): Promise<string[]>;
}

export interface CheckpointStorage {
  write(relPath: string, body: Uint8Array | string): Promise<void>;
  read(relPath: string): Promise<Uint8Array>;
  /** Every path under the root (recursively). */
  list(): Promise<string[]>;
  remove(relPath: string): Promise<void>;
  /** Human-readable location of a path (for logs and records). */
  locate(relPath: string): string;
}

export function localStorage(root: string): CheckpointStorage {
  return {
    async write(rel, body) {
      const file = path.join(root, rel);
      await mkdir(path.dirname(file), { recursive: true });
      // Write then rename: a crash never leaves a half-written file under the real name.
      const tmp = `${file}.tmp-${process.pid}`;
      await writeFile(tmp, body);
      await rename(tmp, file);
    },
    async read(rel) {
      return new Uint8Array(await readFile(path.join(root, rel)));
    },
    async list() {
      try {
        const entries = await readdir(root, { recursive: true, withFileTypes: true });
        return entries
          .filter((e) => e.isFile() && !e.name.includes('.tmp-'))
          .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
    },
    async remove(rel) {
      await rm(path.join(root, rel), { force: true });
    },
    locate: (rel) => path.join(root, rel),
  };
}

/** `prefix` like `checkpoints/<jobId>/`. */
export function blobStorage(blobs: CheckpointBlobs, prefix: string): CheckpointStorage {
  const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return {
    write: (rel, body) =>
      blobs.put(p + rel, body, rel.endsWith('.json') ? 'application/json' : 'application/octet-stream'),
    read: (rel) => blobs.get(p + rel),
    list: async () => (await blobs.list(p)).map((k) => k.slice(p.length)),
    remove: (rel) => blobs.delete(p + rel),
    locate: (rel) => p + rel,
  };
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
