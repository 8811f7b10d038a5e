/**
 * A file larger than POST /v1/files takes, uploaded through the Uploads API: create the upload
 * (it answers presigned part URLs), PUT each part of `part_size` bytes straight to the object store
 * (a few at a time, with XMLHttpRequest because fetch reports no upload progress), then complete
 * it, which validates the file and answers the File. A part that fails three times cancels the
 * upload.
 */
import type { File as OpenAiFile } from '../../../openapi/sdk/types.gen';
import { cancelUpload, completeUpload, createUpload } from '../../../openapi/sdk/sdk.gen';
import { api, unwrap } from './api';

const PARALLEL_PARTS = 3;
const PART_ATTEMPTS = 3;

function putPart(url: string, body: Blob, onProgress: (sent: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? (onProgress(body.size), resolve())
        : reject(new Error(`The object store refused a part (HTTP ${xhr.status}).`));
    xhr.onerror = () => reject(new Error('A part could not be sent to the object store.'));
    xhr.send(body);
  });
}

export async function multipartUpload(
  file: File,
  onProgress: (sentBytes: number, totalBytes: number) => void,
): Promise<OpenAiFile> {
  const upload = await unwrap(
    createUpload({
      client: api(),
      body: {
        filename: file.name,
        purpose: 'fine-tune',
        bytes: file.size,
        mime_type: file.type || 'application/jsonl',
      },
    }),
  );
  const path = { upload_id: upload.id };
  const parts = upload.parts ?? [];
  const sent = new Map<number, number>();
  const report = () =>
    onProgress(
      [...sent.values()].reduce((a, b) => a + b, 0),
      file.size,
    );
  try {
    let next = 0;
    const worker = async () => {
      while (next < parts.length) {
        const part = parts[next++];
        const start = (part.part_number - 1) * upload.part_size;
        const body = file.slice(start, start + upload.part_size);
        const progress = (n: number) => {
          sent.set(part.part_number, n);
          report();
        };
        // A dropped connection costs one part, not the upload: each part is tried up to 3 times.
        for (let attempt = 1; ; attempt++) {
          try {
            await putPart(part.url, body, progress);
            break;
          } catch (err) {
            if (attempt >= PART_ATTEMPTS) throw err;
            progress(0);
            await new Promise((r) => setTimeout(r, 500 * attempt));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, parts.length) }, worker));
  } catch (err) {
    await unwrap(cancelUpload({ client: api(), path })).catch(() => undefined);
    throw err;
  }
  const done = await unwrap(completeUpload({ client: api(), path, body: {} }));
  if (!done.file) throw new Error(`Upload ${upload.id} completed without a file.`);
  return done.file;
}
