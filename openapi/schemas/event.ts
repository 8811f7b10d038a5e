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
    data: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('FineTuningJobEvent');

export const JobEventListSchema = listOf(JobEventSchema, 'FineTuningJobEventList');
export const JobEventListQuerySchema = PageQuerySchema;

export type JobEventObject = z.infer<typeof JobEventSchema>;
