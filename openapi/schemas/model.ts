import { z } from '@hono/zod-openapi';

export const ModelIdParamSchema = z.object({
  model: z.string().min(1).max(256).openapi({ param: { name: 'model', in: 'path' }, example: 'gpt2-tiny' }),
});

export const ModelSchema = z
  .object({
    id: z.string(),
    object: z.literal('model'),
    created: z.int(),
    owned_by: z.string(),
  })
  .openapi('Model');

export const ModelListSchema = z
  .object({ object: z.literal('list'), data: z.array(ModelSchema) })
  .openapi('ModelList');

export const ModelDeletedSchema = z
  .object({ id: z.string(), object: z.literal('model'), deleted: z.boolean() })
  .openapi('ModelDeleted');
