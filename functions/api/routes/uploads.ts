import type { OpenAPIHono } from '@hono/zod-openapi';
import {
  cancelUploadRoute,
  completeUploadRoute,
  createUploadRoute,
  retrieveUploadRoute,
  uploadPartsRoute,
} from '../../../openapi/routes/uploads';
import { cancelUpload, completeUpload, createUpload, getUpload, signUploadParts } from '../../domain/uploads';
import type { ApiContext } from '../context';
import type { ApiEnv } from '../env';
import { presentUpload } from '../present';
import { byPathId } from './by-id';

export function registerUploadRoutes(app: OpenAPIHono<ApiEnv>, ctx: ApiContext) {
  app.openapi(createUploadRoute, async (c) => {
    const body = c.req.valid('json');
    const view = await createUpload(ctx, c.get('tenantId'), {
      filename: body.filename,
      purpose: body.purpose,
      bytes: body.bytes,
      mimeType: body.mime_type,
      fileExpiresAfterSeconds: body.expires_after?.seconds,
    });
    return c.json(presentUpload(view), 200);
  });

  const byId = byPathId('upload_id', ctx, presentUpload);
  app.openapi(retrieveUploadRoute, byId(getUpload));

  app.openapi(uploadPartsRoute, async (c) => {
    const body = c.req.valid('json');
    const view = await signUploadParts(
      ctx,
      c.get('tenantId'),
      c.req.valid('param').upload_id,
      body.part_numbers,
    );
    return c.json(presentUpload(view), 200);
  });

  app.openapi(completeUploadRoute, byId(completeUpload));
  app.openapi(cancelUploadRoute, byId(cancelUpload));
}
