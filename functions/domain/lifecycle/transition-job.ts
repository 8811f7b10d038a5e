/**
 * Moving a job between statuses safely on a store without transactions (docs/ARCHITECTURE.md,
 * "Job lifecycle and its guarantees").
 *
 * The status write is ONE conditional update (expected status AND version). The follow-ups
 * (the transition's event, and the outbox entry for webhook-worthy statuses) are separate
 * idempotent puts with ids derived from the transition (`job.lastTransition`), so:
 *  - a retried or duplicated transition finds the job already there and only re-puts the
 *    follow-ups (no duplicates: same ids);
 *  - a crash between the status write and the follow-ups is repaired by the next attempt of the
 *    same transition or by a reconciler calling `repairFollowUps`;
 *  - a late or reordered transition fails the table check and never moves a job backwards or
 *    out of a terminal state.
 */
import { JOB_STATUSES, WEBHOOK_EVENT_TYPES } from '../../../openapi/enums';
import { ConflictError, NotFoundError } from '../../errors';
import type { Clock } from '../../ports/clock';
import type { JobEventStore, JobStore, OutboxStore } from '../../ports/store';
import type { JobEventRecord, JobRecord, JobStatus, OutboxRecord } from '../records';
import { deterministicEventId } from './events';
import { canTransition, isTerminal, nextStatuses } from './transitions';

export interface LifecycleDeps {
  stores: { jobs: JobStore; events: JobEventStore; outbox: OutboxStore };
  clock: Clock;
}

export type JobPatch = Partial<Omit<JobRecord, 'id' | 'tenantId' | 'version' | 'status' | 'lastTransition'>>;

export interface TransitionOptions {
  /** Only move when the job is in this status now (e.g. `running` for a "succeeded" report). */
  expectedStatus?: JobStatus;
  /** Becomes the event's message; a default per status otherwise. */
  reason?: string;
  /** Written in the same conditional update as the status (error, fineTunedModel, …). */
  patch?: JobPatch;
  /** The event's `data`. */
  eventData?: Record<string, unknown> | null;
}

export interface TransitionResult {
  job: JobRecord;
  /** False when the job was already in `to` (a duplicate): only the follow-ups were re-put. */
  changed: boolean;
}

/** Statuses that produce an outbox entry (a webhook): those with a `fine_tuning.job.<status>` event type. */
export const WEBHOOK_STATUSES: readonly JobStatus[] = JOB_STATUSES.filter((s) =>
  (WEBHOOK_EVENT_TYPES as readonly string[]).includes(`fine_tuning.job.${s}`),
);

const DEFAULT_MESSAGES: Record<JobStatus, string> = {
  validating_files: 'Validating training file',
  queued: 'Fine-tuning job queued',
  running: 'Fine-tuning job started',
  paused: 'Fine-tuning job paused',
  succeeded: 'The job has successfully completed',
  failed: 'The job failed',
  cancelled: 'Fine-tuning job cancelled',
};

const MAX_ATTEMPTS = 8;

export function outboxIdFor(job: Pick<JobRecord, 'id'>, to: JobStatus, transitionVersion: number): string {
  // Terminal statuses happen once per job; running/paused may recur (pause, resume), so their
  // entries are also keyed by the version of the transition.
  return isTerminal(to) ? `${job.id}:${to}` : `${job.id}:${to}:${transitionVersion}`;
}

export function transitionEventId(
  job: Pick<JobRecord, 'id'>,
  to: JobStatus,
  transitionVersion: number,
): string {
  return deterministicEventId(job.id, 'status', transitionVersion, to);
}

/** The event and (for webhook-worthy statuses) outbox entry of the job's last transition. */
function followUpsOf(
  job: JobRecord,
  data: Record<string, unknown> | null,
): { event: JobEventRecord; outbox: OutboxRecord | null } | null {
  const t = job.lastTransition;
  // Jobs created directly in a status (not via transitionJob) have no transition to repair.
  if (!t || t.to !== job.status) return null;
  const createdAt = Math.floor(t.atMs / 1000);
  return {
    event: {
      id: transitionEventId(job, t.to, t.version),
      jobId: job.id,
      tenantId: job.tenantId,
      createdAt,
      level: t.to === 'failed' ? 'error' : 'info',
      message: t.message,
      type: 'message',
      data,
    },
    outbox: WEBHOOK_STATUSES.includes(t.to)
      ? {
          id: outboxIdFor(job, t.to, t.version),
          tenantId: job.tenantId,
          type: `fine_tuning.job.${t.to}`,
          subjectId: job.id,
          createdAt,
          status: 'pending',
        }
      : null,
  };
}

async function putFollowUps(
  deps: LifecycleDeps,
  job: JobRecord,
  data: Record<string, unknown> | null,
): Promise<void> {
  const f = followUpsOf(job, data);
  if (!f) return;
  // Event first: a webhook receiver that fetches the job's events then finds the transition.
  await deps.stores.events.append(f.event);
  if (f.outbox) await deps.stores.outbox.put(f.outbox);
}

/**
 * Re-puts the event and outbox entry of the transition that put the job in its current status.
 * Idempotent (same ids; stores ignore a put of an existing id): safe for reconcilers and retries.
 */
export async function repairFollowUps(deps: LifecycleDeps, job: JobRecord): Promise<void> {
  await putFollowUps(deps, job, null);
}

function invalid(job: JobRecord, to: JobStatus, expected?: JobStatus): ConflictError {
  if (expected && job.status !== expected) {
    return new ConflictError(
      `Job ${job.id} is ${job.status}, not ${expected}; it was not moved to ${to}.`,
      'job_status_changed',
    );
  }
  const allowed = nextStatuses(job.status);
  const hint = allowed.length ? `allowed next: ${allowed.join(', ')}` : 'it is in a final state';
  return new ConflictError(
    `Job ${job.id} is ${job.status} and cannot become ${to} (${hint}).`,
    'invalid_job_status',
  );
}

/**
 * Moves job `jobId` to `to`. Throws NotFoundError for an unknown job and ConflictError when the
 * table (or `expectedStatus`) does not allow it; a job already in `to` is returned unchanged.
 */
export async function transitionJob(
  deps: LifecycleDeps,
  jobId: string,
  to: JobStatus,
  opts: TransitionOptions = {},
): Promise<TransitionResult> {
  const event: { message: string; data: Record<string, unknown> | null } = {
    message: opts.reason ?? DEFAULT_MESSAGES[to],
    data: opts.eventData ?? null,
  };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const job = await deps.stores.jobs.getById(jobId);
    if (!job) throw new NotFoundError('fine-tuning job', jobId);
    if (job.status === to) {
      await repairFollowUps(deps, job);
      return { job, changed: false };
    }
    if ((opts.expectedStatus && job.status !== opts.expectedStatus) || !canTransition(job.status, to)) {
      throw invalid(job, to, opts.expectedStatus);
    }
    const atMs = deps.clock.nowMs();
    const nowS = Math.floor(atMs / 1000);
    const patch: JobPatch & { status: JobStatus; lastTransition: NonNullable<JobRecord['lastTransition']> } =
      {
        ...opts.patch,
        status: to,
        lastTransition: { to, version: job.version + 1, atMs, message: event.message },
      };
    if (to === 'running' && !job.startedAt && opts.patch?.startedAt === undefined) patch.startedAt = nowS;
    if (isTerminal(to) && opts.patch?.finishedAt === undefined) patch.finishedAt = nowS;
    let updated: JobRecord;
    try {
      updated = await deps.stores.jobs.update(jobId, { version: job.version, status: job.status }, patch);
    } catch (err) {
      // Lost a race: re-read and decide again (someone may have made this very transition).
      if (err instanceof ConflictError) continue;
      throw err;
    }
    await putFollowUps(deps, updated, event.data);
    return { job: updated, changed: true };
  }
  throw new ConflictError(
    `Job ${jobId} kept changing; the move to ${to} was not applied. Retry.`,
    'job_busy',
  );
}
