/**
 * The sweep resource (`/v1/fine_tuning/sweeps`): the create request (a base job request plus the
 * search configuration of `./sweep`), the sweep object and the trial object. Every trial is an
 * ordinary fine-tuning job tagged with its sweep; its hyperparameters are the base request's with
 * the suggested parameters laid over them.
 */
import { z } from '@hono/zod-openapi';
import { SWEEP_STATUSES, TRIAL_STATES } from '../enums';
import { DpoHyperparametersSchema } from './dpo';
import { JobCreateSchema, JobErrorSchema, JobStatusSchema, MetadataSchema } from './job';
import { PageQuerySchema, listOf } from './list';
import {
  ChoiceValueSchema,
  ObjectiveSchema,
  SweepCompletionSchema,
  SweepConfigShape,
  SweepEarlyStoppingSchema,
  SweepLimitsSchema,
  SweepStrategySchema,
  SweepWarmStartSchema,
  SearchSpaceSchema,
  checkSweepConfig,
} from './sweep';

export const SweepStatusSchema = z.enum(SWEEP_STATUSES).openapi('FineTuningSweepStatus');

/** Running trials are pending (job not started yet) or running (ACTIVE_TRIAL_STATES); the rest are final. */
export const TrialStateSchema = z.enum(TRIAL_STATES).openapi('FineTuningSweepTrialState');

export const SweepIdParamSchema = z.object({
  sweep_id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'sweep_id', in: 'path' }, example: 'ftsweep-abc123' }),
});

/** Trial metadata keys the service adds to each trial job (so the openai SDK can filter on them). */
export const TRIAL_METADATA_KEYS = ['sweep_id', 'sweep_trial'] as const;

export const SweepCreateSchema = z
  .strictObject({
    /** The job every trial starts from; the suggested parameters replace its hyperparameters of the same name. */
    base_job: JobCreateSchema.refine(
      (j) => Object.keys(j.metadata ?? {}).length <= 16 - TRIAL_METADATA_KEYS.length,
      {
        path: ['metadata'],
        message: `at most ${16 - TRIAL_METADATA_KEYS.length} metadata keys (trials add ${TRIAL_METADATA_KEYS.join(', ')})`,
      },
    ),
    ...SweepConfigShape,
    /** A running trial whose progress has not moved for this long is cancelled and marked stale. */
    stale_after_seconds: z
      .int()
      .min(30)
      .max(7 * 24 * 3600)
      .default(3600),
    metadata: MetadataSchema.nullable().optional(),
  })
  .superRefine((req, ctx) => checkSweepConfig(req, ctx))
  .openapi('FineTuningSweepCreate');

export const SweepBestTrialSchema = z
  .object({
    trial_number: z.int(),
    /** The trial's job. */
    fine_tuning_job_id: z.string(),
    parameters: z.record(z.string(), ChoiceValueSchema),
    /** The trial job's requested hyperparameters: base_job's with the parameters laid over them (`beta` for DPO). */
    hyperparameters: DpoHyperparametersSchema,
    objective_value: z.number(),
    fine_tuned_model: z.string().nullable(),
  })
  .openapi('FineTuningSweepBestTrial');

export const SweepSchema = z
  .object({
    id: z.string().openapi({ example: 'ftsweep-abc123' }),
    object: z.literal('fine_tuning.sweep'),
    created_at: z.int(),
    started_at: z.int().nullable(),
    finished_at: z.int().nullable(),
    status: SweepStatusSchema,
    /** Why the sweep ended (target_reached, no_improvement, max_runtime, max_trials, search_space_exhausted, cancelled, no_successful_trial). */
    status_reason: z.string().nullable(),
    error: JobErrorSchema.nullable(),
    base_job: JobCreateSchema,
    search_space: SearchSpaceSchema,
    objective: ObjectiveSchema,
    /** With the seed the sweep runs with (drawn by the service when the request had none). */
    strategy: SweepStrategySchema,
    early_stopping: SweepEarlyStoppingSchema,
    limits: SweepLimitsSchema,
    completion: SweepCompletionSchema.nullable(),
    warm_start: SweepWarmStartSchema.nullable(),
    stale_after_seconds: z.int(),
    metadata: z.record(z.string(), z.string()).nullable(),
    trial_counts: z.object({
      total: z.int(),
      pending: z.int(),
      running: z.int(),
      complete: z.int(),
      pruned: z.int(),
      failed: z.int(),
      stale: z.int(),
      cancelled: z.int(),
    }),
    best_trial: SweepBestTrialSchema.nullable(),
  })
  .openapi('FineTuningSweep');

export const SweepReportSchema = z
  .object({
    /** Resource used so far: epochs or steps, per early_stopping.resource (steps otherwise). */
    step: z.number(),
    value: z.number(),
  })
  .openapi('FineTuningSweepReport');

export const TrialSchema = z
  .object({
    /** The trial's current job (a retried trial runs a new job; earlier ones are in previous_job_ids). */
    id: z.string().openapi({ example: 'ftjob-abc123' }),
    object: z.literal('fine_tuning.sweep.trial'),
    sweep_id: z.string(),
    /** 0, 1, …: the order the sweep started its trials in. */
    number: z.int(),
    state: TrialStateSchema,
    /** The job's status (null while the job is being created). */
    job_status: JobStatusSchema.nullable(),
    parameters: z.record(z.string(), ChoiceValueSchema),
    /** The job's requested hyperparameters: base_job's with the parameters laid over them (`beta` for DPO). */
    hyperparameters: DpoHyperparametersSchema,
    objective_value: z.number().nullable(),
    /** The objective at each evaluation, as the early-stopping scheduler saw it. */
    reports: z.array(SweepReportSchema),
    fine_tuned_model: z.string().nullable(),
    /** The eval run that measured the trial's model (objective type `eval`), else null. */
    eval_run_id: z.string().nullable(),
    previous_job_ids: z.array(z.string()),
    created_at: z.int(),
    finished_at: z.int().nullable(),
    error: JobErrorSchema.nullable(),
  })
  .openapi('FineTuningSweepTrial');

export const SweepListSchema = listOf(SweepSchema, 'FineTuningSweepList');
export const TrialListSchema = listOf(TrialSchema, 'FineTuningSweepTrialList');
export const SweepListQuerySchema = PageQuerySchema;
/** Trials are listed by number, first trial first; `after` is the id of the last trial seen. */
export const TrialListQuerySchema = PageQuerySchema;

export type SweepCreate = z.infer<typeof SweepCreateSchema>;
export type SweepObject = z.infer<typeof SweepSchema>;
export type TrialObject = z.infer<typeof TrialSchema>;
export type { SweepStatus, TrialState } from '../enums';
