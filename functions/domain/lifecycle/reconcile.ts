/**
 * The follow-up reconciler: a transition whose process died between the status write and its
 * event/outbox puts is repaired when the same transition is reported again (at-least-once
 * sources do that), but a one-off request (a user's cancel) may never be repeated. A scheduled
 * pass over the jobs whose status changed recently re-puts their follow-ups; the puts are
 * idempotent, so repeating work that already happened changes nothing.
 */
import { JOB_STATUSES } from './transitions';
import { repairFollowUps, type LifecycleDeps } from './transition-job';
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
