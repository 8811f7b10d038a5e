/**
 * The storage port: the operations the domain needs, nothing about how they are stored.
 *
 * Adapters (DynamoDB single table in production and on the embedded stack) implement it.
 * Rules every adapter keeps (docs/ARCHITECTURE.md, "Job lifecycle and its guarantees"):
 *  - every job status write is a single-item conditional write on the expected status and version;
 *    a failed condition throws `ConflictError` from `functions/errors`;
 *  - follow-up writes (events, outbox entries) use deterministic ids and are idempotent puts, so
 *    a retried transition never duplicates them (there are no transactions in dynalite);
 *  - expired items (idempotency records, uploads) are filtered on read (dynalite has no TTL).
 */
import type {
  ApiKeyRecord,
  CheckpointRecord,
  FileRecord,
  IdempotencyRecord,
  JobEventRecord,
  JobRecord,
  JobStatus,
  ModelRecord,
  OutboxRecord,
  Page,
  TenantId,
  TenantRecord,
  UploadRecord,
} from '../domain/records';

export interface ListOptions {
  /** Cursor: the id of the last item of the previous page. */
  after?: string;
  limit: number;
}

/** What a job listing can be narrowed to; every given field must match. */
export interface JobListFilters {
  metadata?: Record<string, string>;
  sweepId?: string;
  status?: JobStatus;
  model?: string;
  provider?: JobRecord['provider'];
}

export interface ApiKeyStore {
  put(key: ApiKeyRecord): Promise<void>;
  /** The record, expired and revoked ones included (authentication decides). */
  getByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  /** Every key (of one tenant), newest first; revoked and expired ones included. */
  list(tenantId?: TenantId): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked; no-op when it already is. */
  revoke(keyHash: string, atSeconds: number): Promise<void>;
}

export interface TenantStore {
  /** Throws ConflictError when the tenant exists. */
  create(tenant: TenantRecord): Promise<void>;
  get(id: TenantId): Promise<TenantRecord | undefined>;
  list(): Promise<TenantRecord[]>;
  revoke(id: TenantId, atSeconds: number): Promise<void>;
}

export interface FileStore {
  put(file: FileRecord): Promise<void>;
  /** Undefined when absent, deleted, expired, or another tenant's. */
  get(tenantId: TenantId, id: string): Promise<FileRecord | undefined>;
  /** Newest first (`order: 'asc'`: oldest first); deleted and expired files left out. */
  list(
    tenantId: TenantId,
    opts: ListOptions & { purpose?: string; order?: 'asc' | 'desc' },
  ): Promise<Page<FileRecord>>;
  /** Files whose `expiresAt` has passed and that are not deleted yet, soonest expired first. */
  listExpired(nowSeconds: number, limit: number): Promise<FileRecord[]>;
  markDeleted(tenantId: TenantId, id: string): Promise<void>;
}

export interface UploadStore {
  put(upload: UploadRecord): Promise<void>;
  get(tenantId: TenantId, id: string): Promise<UploadRecord | undefined>;
  /** Conditional on the current status; throws ConflictError when it changed. */
  setStatus(
    tenantId: TenantId,
    id: string,
    from: UploadRecord['status'],
    to: UploadRecord['status'],
    patch?: Partial<UploadRecord>,
  ): Promise<UploadRecord>;
}

export interface JobStore {
  /** Fails with ConflictError if the id exists. */
  create(job: JobRecord): Promise<void>;
  /** By id alone: for the runner, dispatchers and event handlers, which act for the system. */
  getById(id: string): Promise<JobRecord | undefined>;
  /** Scoped: undefined for another tenant's job. */
  get(tenantId: TenantId, id: string): Promise<JobRecord | undefined>;
  /** Newest first; `metadata` filters on exact key/value matches, the others on equality. */
  list(tenantId: TenantId, opts: ListOptions & JobListFilters): Promise<Page<JobRecord>>;
  /**
   * Jobs in the given statuses across tenants (reconcilers), per status longest-unchanged first.
   * `changedSinceMs`: only jobs whose status changed at or after that time (ms since the epoch).
   */
  listByStatus(
    statuses: JobStatus[],
    limit: number,
    opts?: { changedSinceMs?: number },
  ): Promise<JobRecord[]>;
  /**
   * Writes `patch` (and `status`, when given) if the stored job is still at `expected.version`
   * (and `expected.status`, when given). Returns the new record with version + 1.
   * Throws ConflictError when the condition fails.
   */
  update(
    id: string,
    expected: { version: number; status?: JobStatus },
    patch: Partial<Omit<JobRecord, 'id' | 'tenantId' | 'version'>>,
  ): Promise<JobRecord>;
}

export interface JobEventStore {
  /** Idempotent on `event.id`. */
  append(event: JobEventRecord): Promise<void>;
  /**
   * `append` for each event, in order, in fewer round trips where the store can (the metrics
   * steps that share a stored item go in one write).
   */
  appendMany(events: JobEventRecord[]): Promise<void>;
  /** Newest first, as OpenAI lists events. */
  list(jobId: string, opts: ListOptions): Promise<Page<JobEventRecord>>;
  /**
   * The `data` of the job's metrics events (each has a numeric `step`), ascending by step, only
   * steps after `afterStep` when given.
   */
  metrics(
    jobId: string,
    opts: { afterStep?: number; limit: number },
  ): Promise<{ items: MetricsData[]; hasMore: boolean }>;
}

/** A metrics event's numbers: `{ step, train_loss, … }`. */
export type MetricsData = { step: number } & Record<string, unknown>;

export interface CheckpointStore {
  /** Idempotent on `checkpoint.id`. */
  put(checkpoint: CheckpointRecord): Promise<void>;
  /** Newest first. */
  list(jobId: string, opts: ListOptions): Promise<Page<CheckpointRecord>>;
  delete(jobId: string, id: string): Promise<void>;
}

export interface ModelStore {
  put(model: ModelRecord): Promise<void>;
  /** A tenant sees its own models and the system's base models. */
  get(tenantId: TenantId, id: string): Promise<ModelRecord | undefined>;
  list(tenantId: TenantId): Promise<ModelRecord[]>;
  markDeleted(tenantId: TenantId, id: string): Promise<void>;
}

export interface IdempotencyStore {
  /**
   * Claims (tenant, key) for a request: returns undefined when claimed, or the existing
   * unexpired record (in progress or completed) when the key was used before.
   */
  claim(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined>;
  /** Stores the response; `expiresAt` (epoch seconds), when given, replaces the claim's shorter lease. */
  complete(
    tenantId: TenantId,
    key: string,
    response: NonNullable<IdempotencyRecord['response']>,
    expiresAt?: number,
  ): Promise<void>;
  /** Drops an in-progress claim whose request failed before producing a response. */
  release(tenantId: TenantId, key: string): Promise<void>;
}

export interface OutboxStore {
  /** Idempotent on `entry.id`: the same happening is recorded once. */
  put(entry: OutboxRecord): Promise<void>;
  listPending(limit: number): Promise<OutboxRecord[]>;
  markDispatched(id: string): Promise<void>;
}

/** Everything the API and workers need from storage, grouped. */
export interface Stores {
  apiKeys: ApiKeyStore;
  tenants: TenantStore;
  files: FileStore;
  uploads: UploadStore;
  jobs: JobStore;
  events: JobEventStore;
  checkpoints: CheckpointStore;
  models: ModelStore;
  idempotency: IdempotencyStore;
  outbox: OutboxStore;
}
