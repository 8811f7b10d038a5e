import { z } from '@hono/zod-openapi';
import { PageQuerySchema, listOf } from './list';

export const JobEventSchema = z
  .object({
    id: z.string().openapi({ example: 'ftevent-abc123' }),
    object: z.literal('fine_tuning.job.event'),
    created_at: z.int(),
    level: z.enum(['info', 'warn', 'error']),
    message: z.string(),
    type: z.enum(['message', 'metrics']),
    data: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'Metrics of a metrics event; an empty object for a message event.' }),
  })
  .openapi('FineTuningJobEvent');

export const JobEventListSchema = listOf(JobEventSchema, 'FineTuningJobEventList');
/**
 * Up to 1,000 events a page (OpenAI's lists stop at 100): a job reports a metrics event per step or
 * few, and a chart of a 10,000-step job should not need 100 round trips.
 */
export const JobEventListQuerySchema = PageQuerySchema.extend({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(20)
    .openapi({ type: 'integer', example: 20, description: '1 to 1000 events a page (default 20).' }),
});

export type JobEventObject = z.infer<typeof JobEventSchema>;
