/** Domain records → the OpenAI-compatible objects of the contract (openapi/schemas). */
import type { CheckpointObject } from '../../openapi/schemas/checkpoint';
import type { EstimateObject } from '../../openapi/schemas/estimate';
import type { FileObject } from '../../openapi/schemas/file';
import type { ResolvedDpoHyperparameters } from '../../openapi/schemas/dpo';
import type { ResolvedHyperparameters } from '../../openapi/schemas/hyperparameters';
import type { JobObject } from '../../openapi/schemas/job';
import type { SweepObject, TrialObject } from '../../openapi/schemas/sweep-resource';
import type { UploadObject } from '../../openapi/schemas/upload';
import type { WebhookDeliveryObject, WebhookEndpointObject } from '../../openapi/schemas/webhook-endpoint';
import type {
  CheckpointRecord,
  FileRecord,
  JobEventRecord,
  JobRecord,
  ModelRecord,
  Page,
} from '../domain/records';
import { trialHyperparameters } from '../domain/sweeps/controller';
import type { UploadView } from '../domain/uploads';
import type { DeliveryAttempt, WebhookDeliveryRecord, WebhookEndpointRecord } from '../domain/webhooks';
import type { SweepRecord, TrialRecord } from '../ports/sweeps';

export type { EstimateObject };

/** Our records keep milliseconds where a schedule needs them; objects show Unix seconds, like OpenAI's. */
const sec = (ms: number) => Math.floor(ms / 1000);
const secOrNull = (ms: number | null) => (ms === null ? null : sec(ms));

export function presentFile(f: FileRecord): FileObject {
  return {
    id: f.id,
    object: 'file',
    bytes: f.bytes,
    created_at: f.createdAt,
    // OpenAI leaves these out when unset rather than sending null.
    ...(f.expiresAt !== undefined ? { expires_at: f.expiresAt } : {}),
    filename: f.filename,
    purpose: f.purpose,
    status: f.status,
    ...(f.statusDetails !== undefined ? { status_details: f.statusDetails } : {}),
    format: f.format ?? null,
    example_count: f.exampleCount ?? null,
    token_count: f.tokenCount ?? null,
    labels: f.labels ?? null,
  };
}

export function presentUpload(v: UploadView): UploadObject {
  const u = v.upload;
  return {
    id: u.id,
    object: 'upload',
    bytes: u.bytes,
    created_at: u.createdAt,
    expires_at: u.expiresAt,
    filename: u.filename,
    purpose: u.purpose,
    mime_type: u.mimeType,
    status: u.status,
    part_size: v.partSize,
    part_count: v.partCount,
    parts: v.parts?.map((p) => ({ part_number: p.partNumber, url: p.url, expires_at: p.expiresAt })) ?? null,
    file: v.file ? presentFile(v.file) : null,
  };
}

export function presentJob(j: JobRecord, organizationId: string): JobObject {
  const h = j.resolvedHyperparameters as unknown as ResolvedHyperparameters;
  return {
    id: j.id,
    object: 'fine_tuning.job',
    created_at: j.createdAt,
    error: j.error,
    fine_tuned_model: j.fineTunedModel,
    finished_at: j.finishedAt,
    hyperparameters: {
      n_epochs: h.n_epochs,
      batch_size: h.batch_size,
      learning_rate_multiplier: h.learning_rate_multiplier,
    },
    model: j.model,
    organization_id: organizationId,
    result_files: j.resultFiles,
    seed: j.seed,
    status: j.status,
    trained_tokens: j.trainedTokens,
    training_file: j.trainingFile,
    validation_file: j.validationFile,
    integrations: null,
    estimated_finish: j.estimatedFinish,
    method:
      j.method.type === 'dpo'
        ? {
            type: 'dpo',
            dpo: { hyperparameters: j.resolvedHyperparameters as unknown as ResolvedDpoHyperparameters },
          }
        : { type: 'supervised', supervised: { hyperparameters: h } },
    metadata: Object.keys(j.metadata ?? {}).length ? j.metadata : null,
    user_provided_suffix: j.suffix,
    provider: j.provider,
    hyperparameter_explanations: j.autoExplanations ?? {},
    progress: j.progress
      ? {
          step: j.progress.step,
          total_steps: j.progress.totalSteps,
          epoch: j.progress.epoch,
          loss: j.progress.loss ?? null,
        }
      : null,
    ...(j.modelConfig ? { model_config: j.modelConfig } : {}),
    resumed_from: j.resumedFrom
      ? { fine_tuning_job_id: j.resumedFrom.jobId, step_number: j.resumedFrom.step }
      : null,
  };
}

export function presentEvent(e: JobEventRecord) {
  return {
    id: e.id,
    object: 'fine_tuning.job.event' as const,
    created_at: e.createdAt,
    level: e.level,
    message: e.message,
    type: e.type,
    // OpenAI's events always carry an object: a message event's is empty.
    data: e.data ?? {},
  };
}

export function presentCheckpoint(c: CheckpointRecord): CheckpointObject {
  return {
    id: c.id,
    object: 'fine_tuning.job.checkpoint',
    created_at: c.createdAt,
    fine_tuned_model_checkpoint: c.fineTunedModelCheckpoint,
    fine_tuning_job_id: c.jobId,
    step_number: c.stepNumber,
    metrics: { step: c.stepNumber, ...c.metrics },
  };
}

export function presentModel(m: ModelRecord) {
  const lineage = m.lineage ?? [];
  return {
    id: m.id,
    object: 'model' as const,
    created: m.createdAt,
    owned_by: m.ownedBy,
    base_model: lineage[0] ?? null,
    lineage,
    ...(m.untrained ? { untrained: true } : {}),
  };
}

/** A store page as an OpenAI cursor list. */
export function presentList<R, O extends { id: string }>(page: Page<R>, map: (r: R) => O) {
  const data = page.items.map(map);
  return {
    object: 'list' as const,
    data,
    has_more: page.hasMore,
    ...(data.length ? { first_id: data[0].id, last_id: data[data.length - 1].id } : {}),
  };
}

const hyperparametersOf = (s: SweepRecord, t: { number: number; params: TrialRecord['params'] }) =>
  trialHyperparameters(s, t);

export function presentSweep(s: SweepRecord): SweepObject {
  const c = s.config;
  return {
    id: s.id,
    object: 'fine_tuning.sweep',
    created_at: s.createdAt,
    started_at: secOrNull(s.startedAtMs),
    finished_at: s.finishedAt,
    status: s.status,
    status_reason: s.statusReason,
    error: s.error,
    base_job: s.baseJob,
    search_space: c.search_space,
    objective: c.objective,
    strategy: c.strategy,
    early_stopping: c.early_stopping,
    limits: c.limits,
    completion: c.completion ?? null,
    warm_start: c.warm_start ?? null,
    stale_after_seconds: s.staleAfterSeconds,
    metadata: Object.keys(s.metadata).length ? s.metadata : null,
    trial_counts: { total: s.trialCount, ...s.counts },
    best_trial: s.best
      ? {
          trial_number: s.best.number,
          fine_tuning_job_id: s.best.jobId,
          parameters: s.best.params,
          hyperparameters: hyperparametersOf(s, s.best),
          objective_value: s.best.value,
          fine_tuned_model: s.best.fineTunedModel,
        }
      : null,
  };
}

export function presentTrial(s: SweepRecord, t: TrialRecord, job: JobRecord | undefined): TrialObject {
  return {
    id: t.jobId,
    object: 'fine_tuning.sweep.trial',
    sweep_id: t.sweepId,
    number: t.number,
    state: t.state,
    job_status: job?.status ?? null,
    parameters: t.params,
    hyperparameters: hyperparametersOf(s, t),
    objective_value: t.value,
    reports: t.reports.map((r) => ({ step: r.step, value: r.value })),
    fine_tuned_model: t.fineTunedModel ?? job?.fineTunedModel ?? null,
    eval_run_id: t.evalRunId ?? null,
    previous_job_ids: t.previousJobIds,
    created_at: Math.floor(t.createdAtMs / 1000),
    finished_at: secOrNull(t.finishedAtMs),
    error: t.error,
  };
}

export function presentWebhookEndpoint(e: WebhookEndpointRecord): WebhookEndpointObject {
  const previous = e.secrets.find((s) => s.expiresAtMs !== null);
  return {
    id: e.id,
    object: 'webhook_endpoint',
    url: e.url,
    description: e.description,
    enabled_events: e.enabledEvents,
    status: e.status,
    disabled_reason: e.disabledReason,
    created_at: sec(e.createdAtMs),
    updated_at: sec(e.updatedAtMs),
    previous_secret_expires_at: previous?.expiresAtMs ? sec(previous.expiresAtMs) : null,
  };
}

function presentAttempt(a: DeliveryAttempt) {
  return {
    attempted_at: sec(a.attemptedAtMs),
    status_code: a.statusCode,
    response_snippet: a.responseSnippet,
    error: a.error,
    duration_ms: a.durationMs,
    next_attempt_at: a.nextAttemptAtMs === null ? null : sec(a.nextAttemptAtMs),
  };
}

export function presentWebhookDelivery(d: WebhookDeliveryRecord): WebhookDeliveryObject {
  return {
    id: d.id,
    object: 'webhook_delivery',
    endpoint_id: d.endpointId,
    event: JSON.parse(d.payload),
    status: d.status,
    attempt_count: d.attemptCount,
    // While an attempt is in flight the stored time is its lease; it is still "due".
    next_attempt_at: d.status === 'pending' && d.nextAttemptAtMs !== null ? sec(d.nextAttemptAtMs) : null,
    created_at: sec(d.createdAtMs),
    updated_at: sec(d.updatedAtMs),
    attempts: d.attempts.map(presentAttempt),
  };
}
