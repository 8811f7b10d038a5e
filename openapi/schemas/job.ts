/**
 * Fine-tuning jobs: OpenAI's request and object shapes. Extensions are additive: `provider`, the
 * full hyperparameter set under `method.supervised.hyperparameters` (and `method.dpo.hyperparameters`),
 * `hyperparameter_explanations` (why each `auto` resolved as it did) and `progress`.
 */
import { z } from '@hono/zod-openapi';
import { JOB_STATUSES, PROVIDERS } from '../enums';
import { DpoHyperparametersSchema, ResolvedDpoHyperparametersSchema } from './dpo';
import { HyperparametersSchema, ResolvedHyperparametersSchema } from './hyperparameters';
import { ModelConfigOverridesSchema } from './model-config';
import { PageQuerySchema, listOf } from './list';

export const ProviderSchema = z.enum(PROVIDERS).openapi('Provider');
export const JobStatusSchema = z.enum(JOB_STATUSES).openapi('FineTuningJobStatus');
export { JOB_STATUSES, TERMINAL_JOB_STATUSES, isTerminalJobStatus } from '../enums';
export type { JobStatus, Provider } from '../enums';

export const JobIdParamSchema = z.object({
  fine_tuning_job_id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'fine_tuning_job_id', in: 'path' }, example: 'ftjob-abc123' }),
});

const autoOr = <T extends z.ZodType>(t: T) => z.union([z.literal('auto'), t]);

/** OpenAI's deprecated top-level hyperparameters: still accepted, same meaning as method.supervised.hyperparameters. */
export const LegacyHyperparametersSchema = z
  .strictObject({
    n_epochs: autoOr(z.int().min(1).max(50)).optional(),
    batch_size: autoOr(z.int().min(1).max(256)).optional(),
    learning_rate_multiplier: autoOr(z.number().gt(0)).optional(),
  })
  .openapi('LegacyHyperparameters');

/** OpenAI's `method`: supervised, or DPO on preference pairs (its hyperparameters under `method.dpo`). */
export const MethodRequestSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('supervised'),
      supervised: z.strictObject({ hyperparameters: HyperparametersSchema.optional() }).optional(),
    }),
    z.strictObject({
      type: z.literal('dpo'),
      dpo: z.strictObject({ hyperparameters: DpoHyperparametersSchema.optional() }).optional(),
    }),
  ])
  .openapi('FineTuningMethod');

const metadataKey = z.string().min(1).max(64);
export const MetadataSchema = z
  .record(metadataKey, z.string().max(512))
  .refine((m) => Object.keys(m).length <= 16, { message: 'at most 16 metadata keys' })
  .openapi('Metadata');

export const JobCreateSchema = z
  .strictObject({
    model: z.string().min(1).max(256),
    training_file: z.string().min(1).max(128),
    validation_file: z.string().min(1).max(128).nullable().optional(),
    /** Deprecated by OpenAI in favour of `method`; accepted when `method` does not also set hyperparameters. */
    hyperparameters: LegacyHyperparametersSchema.optional(),
    method: MethodRequestSchema.optional(),
    suffix: z.string().min(1).max(64).nullable().optional().openapi({
      description:
        "Up to 64 characters added to the fine-tuned model's name (as OpenAI's). In the model id, runs of characters other than letters, digits, `_`, `.` and `-` become `-`; the job shows the suffix as given.",
    }),
    seed: z.int().min(0).max(2_147_483_647).nullable().optional(),
    metadata: MetadataSchema.nullable().optional(),
    integrations: z
      .array(z.unknown())
      .max(0, 'integrations (Weights & Biases) are not supported yet: omit the field or send []')
      .nullable()
      .optional(),
    provider: ProviderSchema.optional(),
    model_config: ModelConfigOverridesSchema.optional(),
  })
  .openapi('FineTuningJobCreate');

export const JobErrorSchema = z
  .object({ code: z.string(), message: z.string(), param: z.string().nullable() })
  .openapi('FineTuningJobError');

export const JobSchema = z
  .object({
    id: z.string().openapi({ example: 'ftjob-abc123' }),
    object: z.literal('fine_tuning.job'),
    created_at: z.int(),
    error: JobErrorSchema.nullable(),
    fine_tuned_model: z.string().nullable(),
    finished_at: z.int().nullable(),
    /** OpenAI's deprecated summary of the resolved values. */
    hyperparameters: z.object({
      n_epochs: z.int(),
      batch_size: z.int(),
      learning_rate_multiplier: z.number(),
    }),
    model: z.string(),
    organization_id: z.string(),
    result_files: z.array(z.string()),
    seed: z.int(),
    status: JobStatusSchema,
    trained_tokens: z.int().nullable(),
    training_file: z.string(),
    validation_file: z.string().nullable(),
    integrations: z.array(z.unknown()).nullable(),
    estimated_finish: z.int().nullable(),
    method: z.discriminatedUnion('type', [
      z.object({
        type: z.literal('supervised'),
        supervised: z.object({ hyperparameters: ResolvedHyperparametersSchema }),
      }),
      z.object({
        type: z.literal('dpo'),
        dpo: z.object({ hyperparameters: ResolvedDpoHyperparametersSchema }),
      }),
    ]),
    metadata: z.record(z.string(), z.string()).nullable(),
    user_provided_suffix: z.string().nullable(),
    provider: ProviderSchema,
    hyperparameter_explanations: z.record(z.string(), z.string()),
    progress: z
      .object({ step: z.int(), total_steps: z.int(), epoch: z.number(), loss: z.number().nullable() })
      .nullable(),
    resumed_from: z.object({ fine_tuning_job_id: z.string(), step_number: z.int() }).nullable().openapi({
      description:
        'Set when this job continues a failed job (`resume` of a failed job): the job and the checkpoint step it starts from.',
    }),
    model_config: ModelConfigOverridesSchema.nullable().optional(),
  })
  .openapi('FineTuningJob');

export const JobListSchema = listOf(JobSchema, 'FineTuningJobList');

/** `metadata[key]=value` filters (deepObject) are read by the handler from the raw query. */
export const JobListQuerySchema = PageQuerySchema.extend({
  metadata: z
    .record(z.string(), z.string())
    .optional()
    .openapi({
      param: { style: 'deepObject', explode: true },
      description: 'Only jobs whose metadata has these exact key/value pairs, e.g. `metadata[team]=search`.',
    }),
  status: JobStatusSchema.optional().openapi({ description: 'Only jobs in this status (our extension).' }),
  model: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .openapi({ description: 'Only jobs of this base model, exactly as created (our extension).' }),
  provider: ProviderSchema.optional().openapi({
    description: 'Only jobs run by this provider (our extension).',
  }),
});

export type JobCreate = z.infer<typeof JobCreateSchema>;
export type MethodRequest = z.infer<typeof MethodRequestSchema>;
export type JobObject = z.infer<typeof JobSchema>;
