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

export function registerUploadRoutes(app: OpenAPIHono<ApiEnv>, ctx: ApiContext) {
  app.openapi(createUploadRoute, async (c) => {
    const body = c.req.valid('json');
    const view = await createUpload(ctx, c.get('tenantId'), {
      filename: body.filename,
      purpose: body.purpose,
      bytes: body.bytes,
      mimeType: body.mime_type,
    });
    return c.json(presentUpload(view), 200);
  });

  app.openapi(retrieveUploadRoute, async (c) => {
    return c.json(
      presentUpload(await getUpload(ctx, c.get('tenantId'), c.req.valid('param').upload_id)),
      200,
    );
  });

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

  app.openapi(completeUploadRoute, async (c) => {
    return c.json(
      presentUpload(await completeUpload(ctx, c.get('tenantId'), c.req.valid('param').upload_id)),
      200,
    );
  });

  app.openapi(cancelUploadRoute, async (c) => {
    return c.json(
      presentUpload(await cancelUpload(ctx, c.get('tenantId'), c.req.valid('param').upload_id)),
      200,
    );
  });
}
