/**
 * The contract's closed sets of names, as plain values: statuses, providers, file formats, webhook
 * event types. The schemas build their enums from these; every other layer (the domain, the CLI,
 * the trainer) imports them from here rather than repeating them.
 *
 * Kept free of zod on purpose: the schemas load zod and @hono/zod-openapi, which a Lambda that only
 * needs a status list (batch-events, webhook-delivery) would otherwise pay for at every cold start.
 */

/** Every job status, in lifecycle order. Which may follow which: functions/domain/lifecycle/transitions.ts. */
export const JOB_STATUSES = [
  'validating_files',
  'queued',
  'running',
  'paused',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** A job in one of these never changes again. */
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminalJobStatus = (status: string): boolean =>
  (TERMINAL_JOB_STATUSES as readonly string[]).includes(status);

/** Where a job trains: a process on this machine, AWS Batch, or OpenAI's fine-tuning service. */
export const PROVIDERS = ['local', 'batch', 'openai'] as const;
export type Provider = (typeof PROVIDERS)[number];

/**
 * What a training file's examples teach; the trainer calls it the task. `preference` holds pairs of
 * answers to one prompt, the preferred and the other (OpenAI's DPO format): it trains with method `dpo` only.
 */
export const FILE_FORMATS = ['chat', 'prompt_completion', 'classification', 'text', 'preference'] as const;

/** How a job trains: supervised (next-token or classification loss) or DPO on preference pairs. */
export const METHOD_TYPES = ['supervised', 'dpo'] as const;
export type MethodType = (typeof METHOD_TYPES)[number];
export type FileFormat = (typeof FILE_FORMATS)[number];

export const SWEEP_STATUSES = ['running', 'paused', 'succeeded', 'failed', 'cancelled'] as const;
export type SweepStatus = (typeof SWEEP_STATUSES)[number];
/** A sweep in one of these starts no more trials and never changes status again. */
export const TERMINAL_SWEEP_STATUSES: readonly SweepStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminalSweepStatus = (status: string): boolean =>
  (TERMINAL_SWEEP_STATUSES as readonly string[]).includes(status);

export const TRIAL_STATES = [
  'pending',
  'running',
  'complete',
  'pruned',
  'failed',
  'stale',
  'cancelled',
] as const;
export type TrialState = (typeof TRIAL_STATES)[number];
/** A trial in one of these still has a job at work (pending: not started yet); the rest are final. */
export const ACTIVE_TRIAL_STATES: readonly TrialState[] = ['pending', 'running'];

/** An eval run's statuses (OpenAI's); which may follow which: functions/domain/evals/runs/transitions.ts. */
export const EVAL_RUN_STATUSES = ['queued', 'in_progress', 'completed', 'failed', 'canceled'] as const;
export type EvalRunStatus = (typeof EVAL_RUN_STATUSES)[number];
export const TERMINAL_EVAL_RUN_STATUSES: readonly EvalRunStatus[] = ['completed', 'failed', 'canceled'];

/** OpenAI's fine-tuning event types first; the others are our additive ones. */
export const WEBHOOK_EVENT_TYPES = [
  'fine_tuning.job.succeeded',
  'fine_tuning.job.failed',
  'fine_tuning.job.cancelled',
  'fine_tuning.job.running',
  'fine_tuning.job.paused',
  'fine_tuning.job.checkpoint.created',
  'fine_tuning.sweep.succeeded',
  'fine_tuning.sweep.failed',
  'fine_tuning.sweep.cancelled',
  'eval.run.succeeded',
  'eval.run.failed',
  'eval.run.canceled',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_ENDPOINT_STATUSES = ['enabled', 'disabled'] as const;
export type WebhookEndpointStatus = (typeof WEBHOOK_ENDPOINT_STATUSES)[number];
/** Why an endpoint is disabled: by its owner, or because it answered 410 Gone. */
export const WEBHOOK_DISABLED_REASONS = ['manual', 'gone'] as const;
export type WebhookDisabledReason = (typeof WEBHOOK_DISABLED_REASONS)[number];
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'cancelled'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];
