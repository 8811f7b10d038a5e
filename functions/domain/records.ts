/**
 * What the service stores, independent of how it is stored or shown.
 *
 * These are the domain's records. The HTTP shapes (OpenAI-compatible objects) live in `openapi/`
 * and are produced from these by the API layer; the DynamoDB item layout lives in the adapter.
 * Times are Unix seconds (OpenAI's convention) unless the name says `Ms`. Statuses, providers and
 * formats are the contract's names (openapi/enums.ts, the schemas), never spelled out again here.
 */
import type { FileFormat, JobStatus, Provider } from '../../openapi/enums';
import type { JobEventObject } from '../../openapi/schemas/event';
import type { FileObject } from '../../openapi/schemas/file';
import type { UploadObject } from '../../openapi/schemas/upload';

export type { FileFormat, JobStatus, Provider };

export type TenantId = string;

export interface ApiKeyRecord {
  /** sha256 hex of the secret key; the key itself is never stored. */
  keyHash: string;
  tenantId: TenantId;
  name: string;
  createdAt: number;
  /** The key's first and last characters (`tp_…abcd`), to recognise it in a listing. */
  hint?: string;
  /**
   * When the key stops working. Also the table's TTL attribute: DynamoDB removes expired keys on
   * AWS; reads refuse them at once on both deployments.
   */
  expiresAt?: number;
  /** Set when an operator revoked the key (or its tenant): it no longer authenticates. */
  revokedAt?: number;
}

/** A tenant: whose data a key opens. Keys of a revoked tenant are revoked with it. */
export interface TenantRecord {
  id: TenantId;
  name: string;
  createdAt: number;
  revokedAt?: number;
}

export interface FileRecord {
  id: string; // file-…
  tenantId: TenantId;
  filename: string;
  bytes: number;
  purpose: string; // 'fine-tune' | 'fine-tune-results' | …
  createdAt: number;
  /**
   * When the file expires (`expires_after`): hidden from then on, deleted with its bytes by the
   * reconciler. Not the table's TTL attribute: the item must outlive its bytes' deletion.
   */
  expiresAt?: number;
  /** `processed` once validated; `error` when validation failed (the file cannot start a job). */
  status: FileObject['status'];
  statusDetails?: string;
  /** Set by validation. */
  format?: FileFormat;
  exampleCount?: number;
  /** Rough token count (validation's estimate) used by the estimate endpoint. */
  tokenCount?: number;
  /** Distinct labels of a classification file, sorted. */
  labels?: string[];
  /** Where the bytes are in the blob store. */
  blobKey: string;
  deleted?: boolean;
}

export interface UploadRecord {
  id: string; // upload_…
  tenantId: TenantId;
  filename: string;
  bytes: number;
  purpose: string;
  mimeType: string;
  status: UploadObject['status'];
  createdAt: number;
  expiresAt: number;
  blobKey: string;
  /** The S3 multipart upload id. */
  multipartId: string;
  fileId?: string;
  /** `expires_after.seconds` for the File the upload creates. */
  fileExpiresAfterSeconds?: number;
}

export interface JobError {
  code: string;
  message: string;
  param: string | null;
}

export interface JobRecord {
  id: string; // ftjob-…
  tenantId: TenantId;
  status: JobStatus;
  /** Incremented by every write; every write is conditional on the version it read. */
  version: number;
  provider: Provider;
  model: string;
  trainingFile: string;
  validationFile: string | null;
  /** The method as requested, `auto`s included (type `supervised`, or `dpo` on preference data). */
  method: { type: string; hyperparameters: Record<string, unknown> };
  /** Every `auto` resolved, shown on the job before it starts. */
  resolvedHyperparameters: Record<string, unknown>;
  /** Why each auto value is what it is: field → explanation. */
  autoExplanations?: Record<string, string>;
  suffix: string | null;
  /** Architecture keys laid over a config-only model's config.json (job create's model_config). */
  modelConfig?: Record<string, unknown>;
  seed: number;
  metadata: Record<string, string>;
  createdAt: number;
  startedAt?: number | null;
  finishedAt: number | null;
  estimatedFinish: number | null;
  fineTunedModel: string | null;
  trainedTokens: number | null;
  resultFiles: string[];
  error: JobError | null;
  /** The id the provider gave the job (Batch job id, OpenAI ftjob id). */
  providerJobId?: string | null;
  /** Sweep this job is a trial of. */
  sweepId?: string | null;
  /** Which attempt at running the job this is (1 first); interrupted runs resume as the next. */
  attempt?: number;
  /** This job continues a failed one from that job's checkpoint (`resume` of a failed job). */
  resumedFrom?: { jobId: string; step: number } | null;
  /** The job that continues this failed one, once `resume` created it. */
  resumedAs?: string | null;
  /** Interruptions in a row that saved no new checkpoint (functions/domain/dispatch/local-runs.ts). */
  interruptionStreak?: number;
  /** The newest checkpoint's step when the job was last interrupted. */
  interruptedAtStep?: number;
  /** The newest progress the runner reported. */
  progress?: { step: number; totalSteps: number; epoch: number; loss?: number } | null;
  /**
   * The write that moved the job into its current status (set by `domain/lifecycle`): lets an
   * idempotent re-run rebuild that transition's event and outbox entry with the same ids.
   */
  lastTransition?: { to: JobStatus; version: number; atMs: number; message: string } | null;
}

export interface JobEventRecord {
  id: string; // ftevent-…
  jobId: string;
  tenantId: TenantId;
  createdAt: number;
  level: JobEventObject['level'];
  message: string;
  type: JobEventObject['type'];
  data?: Record<string, unknown> | null;
}

export interface CheckpointRecord {
  id: string; // ftckpt-…
  jobId: string;
  tenantId: TenantId;
  createdAt: number;
  stepNumber: number;
  metrics: Record<string, number>;
  /** The model name this checkpoint can be used as. */
  fineTunedModelCheckpoint: string;
  /** Blob prefix of the checkpoint's files (manifest written last). */
  blobPrefix: string;
}

export interface ModelRecord {
  id: string;
  /** 'system' for base models every tenant sees, else the owning tenant. */
  tenantId: TenantId | 'system';
  createdAt: number;
  ownedBy: string;
  jobId?: string | null;
  /**
   * A fine-tuned model's ancestry, the model it was tuned from first, down to the base model
   * (a model tuned from a fine-tuned one lists both). Empty or absent for base models.
   */
  lineage?: string[];
  /** Blob prefix of the HF-layout folder (config.json, model.safetensors, tokenizer.json). */
  blobPrefix: string;
  deleted?: boolean;
  /** A config-only model (POST /v1/models): config.json and tokenizer, no weights. */
  untrained?: boolean;
}

export interface IdempotencyRecord {
  tenantId: TenantId;
  key: string;
  /** sha256 of method + path + body. */
  requestHash: string;
  status: 'in_progress' | 'completed';
  response?: { status: number; body: string; headers?: Record<string, string> };
  createdAt: number;
  /** Items past this are treated as absent (dynalite has no TTL). */
  expiresAt: number;
}

/** A webhook-worthy happening waiting to be delivered; its id is deterministic (e.g. `${jobId}:succeeded`). */
export interface OutboxRecord {
  id: string;
  tenantId: TenantId;
  type: string; // e.g. fine_tuning.job.succeeded
  subjectId: string; // the job (or sweep) id
  createdAt: number;
  status: 'pending' | 'dispatched';
}

export interface Page<T> {
  items: T[];
  hasMore: boolean;
}
