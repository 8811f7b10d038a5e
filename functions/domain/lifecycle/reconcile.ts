/**
 * The follow-up reconciler: a transition whose process died between the status write and its
 * event/outbox puts is repaired when the same transition is reported again (at-least-once
 * sources do that), but a one-off request (a user's cancel) may never be repeated. A scheduled
 * pass over the jobs whose status changed recently re-puts their follow-ups; the puts are
 * idempotent, so repeating work that already happened changes nothing.
 */
import { JOB_STATUSES } from './transitions';
import { ConflictError } from '../../errors';
import { repairFollowUps, transitionJob, type LifecycleDeps } from './transition-job';
import type { JobStatus } from '../records';

export interface RepairRecentOptions {
  /** How far back to look; longer than the pass interval plus the slowest write. */
  windowMs: number;
  statuses?: readonly JobStatus[];
  limit?: number;
}

/** Re-puts the follow-ups of every job whose status changed within the window; returns how many. */
export async function repairRecentFollowUps(deps: LifecycleDeps, opts: RepairRecentOptions): Promise<number> {
  const jobs = await deps.stores.jobs.listByStatus([...(opts.statuses ?? JOB_STATUSES)], opts.limit ?? 1000, {
    changedSinceMs: deps.clock.nowMs() - opts.windowMs,
  });
  for (const job of jobs) await repairFollowUps(deps, job);
  return jobs.length;
}

/**
 * A job is created in `validating_files` and moved to `queued` by the same request; when that
 * request dies in between (a crash, a timeout, a failed write answered with a 5xx) nobody moves
 * it again, and it would sit in `validating_files` for ever. Its creator never got an answer
 * (and has likely retried), so running it could train twice: such a job fails, saying why.
 * Sweep trial jobs are left to their sweep, which queues them (functions/domain/sweeps).
 * Returns the ids of the jobs it failed.
 */
export async function failAbandonedCreations(
  deps: LifecycleDeps,
  opts: { afterMs: number; limit?: number },
): Promise<string[]> {
  const now = deps.clock.nowMs();
  const jobs = (await deps.stores.jobs.listByStatus(['validating_files'], opts.limit ?? 500)).filter(
    (j) => !j.sweepId && now - j.createdAt * 1000 >= opts.afterMs,
  );
  const failed: string[] = [];
  for (const job of jobs) {
    const message =
      'The request that created this job was interrupted before the job was queued; create the job again.';
    try {
      const r = await transitionJob(deps, job.id, 'failed', {
        expectedStatus: 'validating_files',
        reason: `The job failed: ${message}`,
        patch: { error: { code: 'creation_interrupted', message, param: null } },
      });
      if (r.changed) failed.push(job.id);
    } catch (err) {
      // Its request finished after all (queued it) or someone cancelled it: nothing to do.
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  return failed;
}
