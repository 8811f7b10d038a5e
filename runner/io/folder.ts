/**
 * Where a Hugging Face model folder lives, reduced to what loading and saving need. The local-disk
 * version is here; the S3 version (Range GETs, multipart upload) belongs with the runner's storage
 * code and implements the same two interfaces.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ByteSource } from './safetensors';

export interface ModelFolderReader {
  /** A text file's content, or undefined when it does not exist. */
  readText(name: string): Promise<string | undefined>;
  /** Ranged access to a binary file, or undefined when it does not exist; `close` releases it. */
  openBytes(name: string): Promise<(ByteSource & { close(): Promise<void> }) | undefined>;
}

export interface ModelFolderWriter {
  /** Writes a whole file; binary content arrives as chunks, possibly produced lazily. */
  write(name: string, content: string | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void>;
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** A folder on local disk. Files are written to a temporary name and renamed, so readers never see half a file. */
export function localModelFolder(dir: string): ModelFolderReader & ModelFolderWriter {
  return {
    async readText(name) {
      try {
        return await readFile(join(dir, name), 'utf8');
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    },
    async openBytes(name) {
      let handle;
      try {
        handle = await open(join(dir, name), 'r');
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
      const fh = handle;
      return {
        async read(offset, length) {
          const buf = new Uint8Array(length);
          let done = 0;
          while (done < length) {
            const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
            if (bytesRead === 0) break;
            done += bytesRead;
          }
          return buf.subarray(0, done);
        },
        close: () => fh.close(),
      };
    },
    async write(name, content) {
      const target = join(dir, name);
      const temp = `${target}.${process.pid}.partial`;
      await mkdir(dirname(target), { recursive: true });
      const fh = await open(temp, 'w');
      try {
        if (typeof content === 'string') await fh.writeFile(content, 'utf8');
        else for await (const chunk of content) await fh.write(chunk);
        await fh.close();
        await rename(temp, target);
      } catch (err) {
        await fh.close().catch(() => undefined);
        await rm(temp, { force: true });
        throw err;
      }
    },
  };
}

/** A folder held in memory (tests, or storage adapters that fetch whole objects). */
export function memoryModelFolder(files = new Map<string, Uint8Array>()): ModelFolderReader &
  ModelFolderWriter & {
    files: Map<string, Uint8Array>;
  } {
  return {
    files,
    async readText(name) {
      const bytes = files.get(name);
      return bytes && new TextDecoder().decode(bytes);
    },
    async openBytes(name) {
      const bytes = files.get(name);
      if (!bytes) return undefined;
      return {
        read: async (offset, length) => bytes.subarray(offset, offset + length),
        close: async () => {},
      };
    },
    async write(name, content) {
      if (typeof content === 'string') {
        files.set(name, new TextEncoder().encode(content));
        return;
      }
      const parts: Uint8Array[] = [];
      for await (const chunk of content) parts.push(chunk.slice());
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      files.set(name, out);
    },
  };
}
