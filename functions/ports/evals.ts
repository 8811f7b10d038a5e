/**
 * Eval storage: evals, their runs (versioned like jobs: every write is conditional on the version
 * read) and each run's output items (one per data source row, created put-if-absent under a
 * deterministic id, so a resumed run never grades a row twice).
 */
import type { EvalRunStatus } from '../../openapi/enums';
import type { TestingCriterion } from '../../openapi/schemas/eval';
import type { OutputItemObject, RunDataSource } from '../../openapi/schemas/eval-run';
import type { Page, TenantId } from '../domain/records';
import type { SampleUsage } from './sampler';

export type { EvalRunStatus };

export interface EvalRecord {
  id: string; // eval_…
  tenantId: TenantId;
  name: string;
  /** The data source config as given (custom): the item schema and whether samples are expected. */
  itemSchema: Record<string, unknown>;
  includeSampleSchema: boolean;
  testingCriteria: TestingCriterion[];
  metadata: Record<string, string>;
  createdAt: number;
  updatedAt: number;
  deleted?: boolean;
}

export type ModelUsageRecord = SampleUsage & { invocation_count: number };

export interface RunCounts {
  total: number;
  passed: number;
  failed: number;
  errored: number;
}

export interface CriterionCounts {
  /** The criterion's label in per_testing_criteria_results (its name, made unique within the eval). */
  label: string;
  passed: number;
  failed: number;
}

export interface EvalRunRecord {
  id: string; // evalrun_…
  evalId: string;
  tenantId: TenantId;
  name: string;
  status: EvalRunStatus;
  /** Incremented by every write; every write is conditional on the version it read. */
  version: number;
  dataSource: RunDataSource;
  /** The sampled model; null when the rows carry their samples. */
  model: string | null;
  metadata: Record<string, string>;
  createdAt: number;
  startedAtMs: number | null;
  finishedAt: number | null;
  error: { code: string; message: string } | null;
  /** Rows before this index are graded and counted below (the resume point). */
  nextIndex: number;
  /** Rows in the source, once known. */
  rowCount: number | null;
  counts: RunCounts;
  perCriteria: CriterionCounts[];
  usage: Record<string, ModelUsageRecord>;
  /** One executor at a time: the holder and until when (ms) it holds the run. */
  lease: { owner: string; untilMs: number } | null;
  /** The write that put the run in its status (its webhook outbox entry is re-put from it after a crash). */
  lastTransition: { to: EvalRunStatus; version: number; atMs: number } | null;
  /** The Batch job executing the run (AWS); null until submitted, and on the embedded stack. */
  providerJobId?: string | null;
  /** Opens the run's report without an API key (report_url). */
  reportToken: string;
  deleted?: boolean;
}

export type EvalRunPatch = Partial<Omit<EvalRunRecord, 'id' | 'evalId' | 'tenantId' | 'version'>>;

/** An output item as stored: the contract's object (its id derived from run and row). */
export type OutputItemRecord = OutputItemObject & {
  tenantId: TenantId;
  /** Tokens spent on this row (sampling and judges), so a resumed run's per_model_usage stays exact. */
  usageByModel?: Record<string, ModelUsageRecord>;
};

export interface EvalListOptions {
  after?: string;
  limit: number;
  order: 'asc' | 'desc';
}

export interface EvalStore {
  createEval(record: EvalRecord): Promise<void>;
  /** Scoped: undefined for another tenant's or a deleted eval. */
  getEval(tenantId: TenantId, id: string): Promise<EvalRecord | undefined>;
  listEvals(tenantId: TenantId, opts: EvalListOptions): Promise<Page<EvalRecord>>;
  /** Unconditional field update (name, metadata, deleted); NotFound when absent. */
  updateEval(tenantId: TenantId, id: string, patch: Partial<EvalRecord>): Promise<EvalRecord>;

  createRun(run: EvalRunRecord): Promise<void>;
  /** By id alone: the executor acts for the system. */
  getRunById(id: string): Promise<EvalRunRecord | undefined>;
  listRuns(evalId: string, opts: EvalListOptions & { status?: EvalRunStatus }): Promise<Page<EvalRunRecord>>;
  /** Runs queued or in progress, across tenants (the worker's listing). */
  listActiveRuns(limit: number): Promise<EvalRunRecord[]>;
  /** Conditional on `expected.version` (and status when given); returns the record with version + 1. ConflictError otherwise. */
  updateRun(
    id: string,
    expected: { version: number; status?: EvalRunStatus },
    patch: EvalRunPatch,
  ): Promise<EvalRunRecord>;

  /** Stores the item unless one with its id exists; returns the stored one either way. */
  putOutputItemIfAbsent(item: OutputItemRecord): Promise<OutputItemRecord>;
  getOutputItem(runId: string, index: number): Promise<OutputItemRecord | undefined>;
  listOutputItems(
    runId: string,
    opts: { afterIndex?: number; limit: number; order: 'asc' | 'desc'; status?: 'pass' | 'fail' },
  ): Promise<Page<OutputItemRecord>>;
}
