/**
 * Cursor lists, OpenAI's shape: `{ object: "list", data, has_more, first_id, last_id }`; `after` is
 * the last id seen. `first_id` and `last_id` are strings, left out of an empty page (OpenAI's files
 * list declares them strings; its other lists have no such field or make it optional).
 */
import { z } from '@hono/zod-openapi';

export function listOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      object: z.literal('list'),
      data: z.array(item),
      has_more: z.boolean(),
      first_id: z
        .string()
        .optional()
        .openapi({ description: 'Id of the first item; absent when `data` is empty.' }),
      last_id: z.string().optional().openapi({
        description: 'Id of the last item (the next page’s `after`); absent when `data` is empty.',
      }),
    })
    .openapi(name);
}

/** `after` and `limit`, shared by every paged route. Query values arrive as strings, hence the coercion. */
export const PageQuerySchema = z.object({
  after: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .openapi({ description: 'Id of the last item of the previous page.' }),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ type: 'integer', example: 20 }),
});
