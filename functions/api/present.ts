/** Domain records → the OpenAI-compatible objects of the contract (openapi/schemas). */
import type { CheckpointObject } from '../../openapi/schemas/checkpoint';
import type { EstimateObject } from '../../openapi/schemas/estimate';
import type { FileObject } from '../../openapi/schemas/file';
import type { ResolvedHyperparameters } from '../../openapi/schemas/hyperparameters';
import type { JobObject } from '../../openapi/schemas/job';
import type { UploadObject } from '../../openapi/schemas/upload';
import type {
  CheckpointRecord,
  FileRecord,
  JobEventRecord,
  JobRecord,
  ModelRecord,
  Page,
} from '../domain/records';
import type { UploadView } from '../domain/uploads';

export type { EstimateObject };

export function presentFile(f: FileRecord): FileObject {
  return {
    id: f.id,
    object: 'file',
    bytes: f.bytes,
    created_at: f.createdAt,
    expires_at: null,
    filename: f.filename,
    purpose: f.purpose,
    status: f.status,
    status_details: f.statusDetails ?? null,
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
    method: { type: 'supervised', supervised: { hyperparameters: h } },
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
    data: e.data ?? null,
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
  return { id: m.id, object: 'model' as const, created: m.createdAt, owned_by: m.ownedBy };
}

/** A store page as an OpenAI cursor list. */
export function presentList<R, O extends { id: string }>(page: Page<R>, map: (r: R) => O) {
  const data = page.items.map(map);
  return {
    object: 'list' as const,
    data,
    has_more: page.hasMore,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
  };
}
