import type { OpenAPIHono } from '@hono/zod-openapi';
import {
  createFileRoute,
  deleteFileRoute,
  fileContentRoute,
  listFilesRoute,
  retrieveFileRoute,
} from '../../../openapi/routes/files';
import { MediaTypeSchema } from '../../../openapi/schemas/file';
import { createFile, deleteFile, fileContent, getFile, listFiles } from '../../domain/files';
import { PayloadTooLargeError } from '../../errors';
import { attachmentDisposition } from '../content-disposition';
import type { ApiContext } from '../context';
import type { ApiEnv } from '../env';
import { presentFile, presentList } from '../present';

export function registerFileRoutes(app: OpenAPIHono<ApiEnv>, ctx: ApiContext) {
  app.openapi(createFileRoute, async (c) => {
    const form = c.req.valid('form');
    const { file, purpose } = form;
    if (file.size > ctx.config.maxDirectUploadBytes)
      throw new PayloadTooLargeError(ctx.config.maxDirectUploadBytes);
    const record = await createFile(ctx, c.get('tenantId'), {
      filename: file.name || 'upload.jsonl',
      purpose,
      bytes: new Uint8Array(await file.arrayBuffer()),
      // A part's Content-Type is the client's to choose; one that cannot be a header is not kept.
      contentType: MediaTypeSchema.safeParse(file.type).success ? file.type : undefined,
      expiresAfterSeconds: form['expires_after[seconds]'],
    });
    return c.json(presentFile(record), 200);
  });

  app.openapi(listFilesRoute, async (c) => {
    const { after, limit, purpose, order } = c.req.valid('query');
    const page = await listFiles(ctx, c.get('tenantId'), { after, limit, purpose, order });
    return c.json(presentList(page, presentFile), 200);
  });

  app.openapi(retrieveFileRoute, async (c) => {
    const file = await getFile(ctx, c.get('tenantId'), c.req.valid('param').file_id);
    return c.json(presentFile(file), 200);
  });

  app.openapi(fileContentRoute, async (c) => {
    const { file, body } = await fileContent(ctx, c.get('tenantId'), c.req.valid('param').file_id);
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(file.bytes),
        'content-disposition': attachmentDisposition(file.filename),
      },
    }) as never;
  });

  app.openapi(deleteFileRoute, async (c) => {
    const id = c.req.valid('param').file_id;
    await deleteFile(ctx, c.get('tenantId'), id);
    return c.json({ id, object: 'file' as const, deleted: true }, 200);
  });
}
