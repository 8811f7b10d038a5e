/** The dry run before a job: every `auto` resolved and explained, the data counted, the run sized. */
import { z } from '@hono/zod-openapi';
import { ResolvedDpoHyperparametersSchema } from './dpo';
import { ResolvedHyperparametersSchema } from './hyperparameters';
import { ProviderSchema } from './job';
import { FileFormatSchema } from './file';

export const EstimateSchema = z
  .object({
    object: z.literal('fine_tuning.job.estimate'),
    model: z.string(),
    provider: ProviderSchema,
    training_file: z.string(),
    validation_file: z.string().nullable(),
    format: FileFormatSchema,
    /** A DPO job's also hold `beta` and `label_smoothing`. */
    hyperparameters: z.union([ResolvedDpoHyperparametersSchema, ResolvedHyperparametersSchema]),
    /** Field → why it has this value (every `auto`, and values derived from others such as warm-up). */
    hyperparameter_explanations: z.record(z.string(), z.string()),
    training_examples: z.int(),
    training_tokens: z.int(),
    validation_examples: z.int().nullable(),
    steps_per_epoch: z.int(),
    total_steps: z.int(),
    trained_tokens: z.int().openapi({ description: 'training_tokens × n_epochs (what OpenAI bills).' }),
    estimated_duration_seconds: z.int(),
    duration_explanation: z.string(),
  })
  .openapi('FineTuningJobEstimate');

export type EstimateObject = z.infer<typeof EstimateSchema>;
