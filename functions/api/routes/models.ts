import type { OpenAPIHono } from '@hono/zod-openapi';
import {
  createModelRoute,
  deleteModelRoute,
  listModelFilesRoute,
  listModelsRoute,
  modelFileContentRoute,
  retrieveModelRoute,
} from '../../../openapi/routes/models';
import { ModelFileNameSchema } from '../../../openapi/schemas/model';
import { createConfigModel } from '../../domain/models';
import { ApiError, NotFoundError } from '../../errors';
import type { ApiContext } from '../context';
import type { ApiEnv } from '../env';
import { presentModel } from '../present';

export function registerModelRoutes(app: OpenAPIHono<ApiEnv>, ctx: ApiContext) {
  const find = async (tenantId: string, id: string) => {
    const model = await ctx.stores.models.get(tenantId, id);
    if (!model || model.deleted) throw new NotFoundError('model', id, 'model');
    return model;
  };

  app.openapi(listModelsRoute, async (c) => {
    const models = (await ctx.stores.models.list(c.get('tenantId'))).filter((m) => !m.deleted);
    return c.json({ object: 'list' as const, data: models.map(presentModel) }, 200);
  });

  app.openapi(createModelRoute, async (c) => {
    const model = await createConfigModel(ctx, c.get('tenantId'), c.req.valid('json'));
    return c.json(presentModel(model), 200);
  });

  app.openapi(retrieveModelRoute, async (c) => {
    return c.json(presentModel(await find(c.get('tenantId'), c.req.valid('param').model)), 200);
  });

  app.openapi(deleteModelRoute, async (c) => {
    const tenantId = c.get('tenantId');
    const model = await find(tenantId, c.req.valid('param').model);
    if (model.tenantId !== tenantId) {
      throw new ApiError(`Model '${model.id}' is a base model; only fine-tuned models can be deleted.`, {
        status: 403,
        type: 'permission_error',
        code: 'model_not_deletable',
        param: 'model',
      });
    }
    await ctx.stores.models.markDeleted(tenantId, model.id);
    // The weights go too: a deleted model must not stay downloadable from the bucket.
    const prefix = `${model.blobPrefix.replace(/\/+$/, '')}/`;
    for (const key of await ctx.blobs.list(prefix)) await ctx.blobs.delete(key);
    return c.json({ id: model.id, object: 'model' as const, deleted: true }, 200);
  });

  const prefixOf = (blobPrefix: string) => (blobPrefix.endsWith('/') ? blobPrefix : `${blobPrefix}/`);

  app.openapi(listModelFilesRoute, async (c) => {
    const model = await find(c.get('tenantId'), c.req.valid('param').model);
    const prefix = prefixOf(model.blobPrefix);
    const data = [];
    for (const filename of ModelFileNameSchema.options) {
      const head = await ctx.blobs.head(`${prefix}${filename}`);
      if (head) data.push({ object: 'model.file' as const, filename, bytes: head.bytes });
    }
    return c.json({ object: 'list' as const, data }, 200);
  });

  app.openapi(modelFileContentRoute, async (c) => {
    const { model: id, filename } = c.req.valid('param');
    const model = await find(c.get('tenantId'), id);
    const key = `${prefixOf(model.blobPrefix)}${filename}`;
    const head = await ctx.blobs.head(key);
    if (!head) throw new NotFoundError(`file '${filename}' of model`, id, 'filename');
    return new Response(await ctx.blobs.getStream(key), {
      status: 200,
      headers: {
        'content-type': filename.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        'content-length': String(head.bytes),
        'content-disposition': `attachment; filename="${filename}"`,
      },
    }) as never;
  });
}
