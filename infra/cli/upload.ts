/**
 * `files upload`: small files go in one multipart POST; larger ones through /v1/uploads, the
 * parts PUT straight to object storage with the presigned URLs (the API never sees the bytes).
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Client } from '../../openapi/sdk/client';
import { completeUpload, createFile, createUpload } from '../../openapi/sdk/sdk.gen';
import type { File as FileObject } from '../../openapi/sdk/types.gen';
import { CliError, unwrap } from './client';

/** Above this the CLI switches to presigned multipart uploads (the API's direct limit is 8 MB). */
export const DIRECT_UPLOAD_MAX_BYTES = 8 * 1024 * 1024;

export async function uploadFile(
  client: Client,
  path: string,
  purpose: 'fine-tune',
  onPart?: (done: number, total: number) => void,
): Promise<FileObject> {
  const { size } = await stat(path);
  const filename = basename(path);
  if (size <= DIRECT_UPLOAD_MAX_BYTES) {
    const fh = await open(path);
    const bytes = await fh.readFile().finally(() => fh.close());
    const file = new File([bytes], filename, { type: 'application/jsonl' });
    return unwrap(await createFile({ client, body: { file, purpose } }));
  }
  const upload = unwrap(
    await createUpload({ client, body: { filename, purpose, bytes: size, mime_type: 'application/jsonl' } }),
  );
  const fh = await open(path);
  try {
    for (const part of upload.parts ?? []) {
      const start = (part.part_number - 1) * upload.part_size;
      const length = Math.min(upload.part_size, size - start);
      const buf = Buffer.alloc(length);
      await fh.read(buf, 0, length, start);
      const res = await fetch(part.url, { method: 'PUT', body: buf });
      if (!res.ok)
        throw new CliError(`Uploading part ${part.part_number} failed: HTTP ${res.status}`, 'upload_failed');
      onPart?.(part.part_number, upload.part_count);
    }
  } finally {
    await fh.close();
  }
  const done = unwrap(await completeUpload({ client, path: { upload_id: upload.id }, body: {} }));
  if (!done.file) throw new CliError(`Upload ${upload.id} completed without a file`, 'upload_failed');
  return done.file;
}
