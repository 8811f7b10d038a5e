import { z } from '@hono/zod-openapi';
import { JobIdParamSchema } from './job';
import { PageQuerySchema, listOf } from './list';

export const CheckpointSchema = z
  .object({
    id: z.string().openapi({ example: 'ftckpt-abc123' }),
    object: z.literal('fine_tuning.job.checkpoint'),
    created_at: z.int(),
    fine_tuned_model_checkpoint: z.string(),
    fine_tuning_job_id: z.string(),
    step_number: z.int(),
    /** OpenAI's metric names (`train_loss`, `valid_loss`, …) plus `step`. */
    metrics: z.record(z.string(), z.number()),
  })
  .openapi('FineTuningJobCheckpoint');

export const CheckpointListSchema = listOf(CheckpointSchema, 'FineTuningJobCheckpointList');
export const CheckpointListQuerySchema = PageQuerySchema;
export type CheckpointObject = z.infer<typeof CheckpointSchema>;

export const CheckpointParamSchema = JobIdParamSchema.extend({
  checkpoint_id: z
    .string()
    .min(1)
    .max(256)
    .openapi({ param: { name: 'checkpoint_id', in: 'path' }, example: 'ftckpt-abc123' }),
});
