/**
 * s3rver 3.7 stores multipart uploads but does not answer ListParts or AbortMultipartUpload
 * (both reply MethodNotAllowed). The upload service needs both (it lists the parts S3 really
 * received instead of trusting the client, and aborts abandoned uploads), so the embedded stack
 * adds them as a Koa middleware in front of s3rver's router, reading s3rver's own on-disk layout:
 *   <dir>/<bucket>/._S3rver_uploads/<uploadId>/{key, metadata, <n>, <n>.md5}
 * Real S3 answers these itself; this exists only on the embedded stack.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function noSuchUpload(ctx: KoaContext, uploadId: string): void {
  ctx.status = 404;
  ctx.type = 'application/xml';
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code>' +
    '<Message>The specified upload does not exist.</Message>' +
    `<UploadId>${xmlEscape(uploadId)}</UploadId></Error>`;
}

export function multipartExtensions(directory: string): Middleware {
  return async (ctx, next) => {
    const uploadId = typeof ctx.query.uploadId === 'string' ? ctx.query.uploadId : undefined;
    const m = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (
      !uploadId ||
      !m ||
      (ctx.method !== 'GET' && ctx.method !== 'DELETE') ||
      !/^[0-9a-f]+$/.test(uploadId)
    ) {
      return next();
    }
    const [, bucket, rawKey] = m;
    const key = decodeURIComponent(rawKey);
    const dir = path.join(directory, bucket, '._S3rver_uploads', uploadId);
    const storedKey = await fs.readFile(path.join(dir, 'key'), 'utf8').catch(() => undefined);
    if (storedKey !== key) return noSuchUpload(ctx, uploadId);

    if (ctx.method === 'DELETE') {
      await fs.rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = null;
      return;
    }

    const names = await fs.readdir(dir);
    const numbers = names
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => a - b);
    const parts = await Promise.all(
      numbers.map(async (n) => {
        const [md5, stat] = await Promise.all([
          fs.readFile(path.join(dir, `${n}.md5`), 'utf8'),
          fs.stat(path.join(dir, String(n))),
        ]);
        return (
          `<Part><PartNumber>${n}</PartNumber><LastModified>${stat.mtime.toISOString()}</LastModified>` +
          `<ETag>"${md5.trim()}"</ETag><Size>${stat.size}</Size></Part>`
        );
      }),
    );
    ctx.status = 200;
    ctx.type = 'application/xml';
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult>' +
      `<Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId>` +
      `<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>${numbers.at(-1) ?? 0}</NextPartNumberMarker>` +
      `<MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`;
  };
}
