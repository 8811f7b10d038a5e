/**
 * A job's metrics as columns (our extension): the same numbers as its metrics events, one array
 * per metric aligned with `step`, ascending. A chart of a 10,000-step job reads this in one
 * request of plain numbers instead of paging 10,000 event objects, and a live chart asks only for
 * the steps after the last one it has (`after_step`).
 */
import { z } from '@hono/zod-openapi';

const METRIC_NAME = /^[a-z][a-z0-9_]{0,63}$/;

export const JobMetricsQuerySchema = z.object({
  after_step: z.coerce.number().int().min(0).optional().openapi({
    type: 'integer',
    description: 'Only steps after this one (the `last_step` of the previous answer).',
  }),
  fields: z
    .string()
    .max(1024)
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return undefined;
      const names = [...new Set(s.split(',').map((x) => x.trim()))].filter(Boolean);
      const bad = names.find((n) => !METRIC_NAME.test(n));
      if (bad !== undefined || names.length === 0 || names.length > 32) {
        ctx.addIssue({
          code: 'custom',
          message:
            bad !== undefined
              ? `fields: "${bad}" is not a metric name (lower-case letters, digits and _, starting with a letter)`
              : 'fields: give 1 to 32 comma-separated metric names',
        });
        return z.NEVER;
      }
      return names;
    })
    .openapi({
      type: 'string',
      example: 'train_loss,valid_loss',
      description: 'Comma-separated metric names to return (default: every metric the job reported).',
    }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(10_000)
    .openapi({ type: 'integer', example: 10_000, description: '1 to 10,000 steps (default 10,000).' }),
});

export const JobMetricsSchema = z
  .object({
    object: z.literal('fine_tuning.job.metrics'),
    fine_tuning_job_id: z.string(),
    step: z.array(z.int()).openapi({ description: 'The steps, ascending.' }),
    metrics: z.record(z.string(), z.array(z.number().nullable())).openapi({
      description:
        'One array per metric, aligned with `step`; null where that step did not report the metric (e.g. validation loss between evaluations).',
    }),
    has_more: z
      .boolean()
      .openapi({ description: 'More steps follow: ask again with `after_step=last_step`.' }),
    last_step: z
      .int()
      .nullable()
      .openapi({ description: 'The last step in `step` (null when empty): the next `after_step`.' }),
  })
  .openapi('FineTuningJobMetrics');

export type JobMetricsQuery = z.infer<typeof JobMetricsQuerySchema>;
export type JobMetricsObject = z.infer<typeof JobMetricsSchema>;
