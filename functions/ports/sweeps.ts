/**
 * Sweep storage: the sweep record (one item, versioned like jobs: every write is conditional on the
 * version read) and one record per trial. The controller keeps ALL its state here, so any process
 * can pick a sweep up after a restart.
 */
import type { JobCreate } from '../../openapi/schemas/job';
import type { SweepConfig } from '../../openapi/schemas/sweep';
import type { SweepStatus, TrialState } from '../../openapi/enums';
import type { JobError, Page, TenantId } from '../domain/records';
import type { ListOptions } from './store';

export type { SweepStatus, TrialState };

export type ParamValue = string | number | boolean;

export interface SweepRecord {
  id: string; // ftsweep-…
  tenantId: TenantId;
  status: SweepStatus;
  /** Incremented by every write; every write is conditional on the version it read. */
  version: number;
  /** The search configuration, defaults applied; `strategy.seed` set for random/TPE. */
  config: SweepConfig;
  baseJob: JobCreate;
  /** Seed of the strategy and, when base_job has none, of every trial job. */
  seed: number;
  staleAfterSeconds: number;
  metadata: Record<string, string>;
  createdAt: number;
  startedAtMs: number;
  finishedAt: number | null;
  /** Set while paused: paused time does not count towards max_runtime_seconds. */
  pausedAtMs: number | null;
  pausedTotalMs: number;
  /** Trial numbers 0..trialCount-1 have been claimed (claiming one is a conditional write here). */
  trialCount: number;
  /** The strategy offered no new point (an exhausted grid). */
  exhausted: boolean;
  statusReason: string | null;
  error: JobError | null;
  best: BestTrial | null;
  counts: Record<TrialState, number>;
  /** One controller pass at a time: the holder's id and until when (ms) it holds the sweep. */
  lease: { owner: string; untilMs: number } | null;
  /** The write that made the status final (its outbox entry is re-put from it after a crash). */
  finishedTransition: { to: SweepStatus; atMs: number } | null;
  /**
   * A final sweep whose follow-ups are done (outbox entry, trial jobs stopped). Until then it stays
   * in the controller's active listing, so a crash between the status write and its follow-ups is
   * repaired by the next tick.
   */
  settled: boolean;
}

export interface BestTrial {
  number: number;
  jobId: string;
  params: Record<string, ParamValue>;
  value: number;
  fineTunedModel: string | null;
}

export interface TrialReport {
  /** Resource used (epochs or steps). */
  step: number;
  value: number;
  /** The job's optimizer step the metrics event was recorded at (reports are read once per step). */
  jobStep: number;
  /** When the controller first saw it: the scheduler replays reports in this order. */
  atMs: number;
}

export interface TrialRecord {
  sweepId: string;
  tenantId: TenantId;
  number: number;
  version: number;
  /** The current job (allocated before the job is created, so a crash in between is repaired). */
  jobId: string;
  previousJobIds: string[];
  params: Record<string, ParamValue>;
  state: TrialState;
  value: number | null;
  reports: TrialReport[];
  /** Highest job step whose metrics were read. */
  lastJobStep: number;
  /** When the controller last saw the job move (progress or status). */
  lastProgressAtMs: number;
  lastProgressStep: number;
  /** Set when the sweep's pause paused this trial's job (so resume resumes only those). */
  pausedBySweep: boolean;
  fineTunedModel: string | null;
  /** The eval run measuring the trial's model (sweeps whose objective is an eval). */
  evalRunId?: string | null;
  error: JobError | null;
  createdAtMs: number;
  finishedAtMs: number | null;
}

export type SweepPatch = Partial<Omit<SweepRecord, 'id' | 'tenantId' | 'version'>>;
export type TrialPatch = Partial<Omit<TrialRecord, 'sweepId' | 'tenantId' | 'number' | 'version'>>;

export interface SweepStore {
  /** Fails with ConflictError if the id exists. */
  create(sweep: SweepRecord): Promise<void>;
  getById(id: string): Promise<SweepRecord | undefined>;
  /** Scoped: undefined for another tenant's sweep. */
  get(tenantId: TenantId, id: string): Promise<SweepRecord | undefined>;
  /** Newest first. */
  list(tenantId: TenantId, opts: ListOptions): Promise<Page<SweepRecord>>;
  /** Sweeps that are running or paused, or final but not yet settled, across tenants (the controller's tick). */
  listActive(limit: number): Promise<SweepRecord[]>;
  /** Conditional on `expected.version` (and status when given); returns the record with version + 1. ConflictError otherwise. */
  update(
    id: string,
    expected: { version: number; status?: SweepStatus },
    patch: SweepPatch,
  ): Promise<SweepRecord>;
  /** Fails with ConflictError if the trial number exists. */
  createTrial(trial: TrialRecord): Promise<void>;
  /** Every trial of the sweep, by number. */
  listTrials(sweepId: string): Promise<TrialRecord[]>;
  updateTrial(
    sweepId: string,
    number: number,
    expectedVersion: number,
    patch: TrialPatch,
  ): Promise<TrialRecord>;
}
