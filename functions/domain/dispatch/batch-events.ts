/**
 * AWS Batch "Batch Job State Change" events → our job's status.
 *
 * EventBridge delivers at least once and in no particular order, and the reconciler feeds the
 * same function with what DescribeJobs says, so every branch must be idempotent and must never
 * move a job backwards: the lifecycle's conditional transitions guarantee the latter; here we only
 * decide what a Batch state means for a job in a given status.
 */
import { ConflictError } from '../../errors';
import type { JobRecord } from '../records';
import { appendJobEvent, isTerminal, transitionJob } from '../lifecycle';
import { resumeStep, type DispatchDeps } from './deps';

export type BatchJobStatus =
  'SUBMITTED' | 'PENDING' | 'RUNNABLE' | 'STARTING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** The part of Batch's JobDetail (event `detail`, or a DescribeJobs entry) that we read. */
export interface BatchJobDetail {
  jobId?: string;
  jobName?: string;
  status?: string;
  statusReason?: string;
  stoppedAt?: number;
  attempts?: {
    statusReason?: string;
    container?: { exitCode?: number; reason?: string };
    stoppedAt?: number;
  }[];
  container?: { environment?: { name?: string; value?: string }[]; exitCode?: number; reason?: string };
  tags?: Record<string, string>;
}

export interface BatchStateChange {
  'detail-type'?: string;
  source?: string;
  detail: BatchJobDetail;
}

export type BatchOutcome =
  | 'ignored_unknown_job'
  | 'ignored_stale_attempt'
  | 'ignored_no_change'
  | 'running'
  | 'interrupted'
  | 'failed'
  | 'finished_without_result'
  | 'awaiting_result'
  | 'awaiting_resubmit';

/** Spot reclaims and host failures: Batch's retry strategy resubmits these attempts. */
export function isHostInterruption(reason: string | undefined): boolean {
  return !!reason && /^Host EC2/.test(reason);
}

/** The reason our Batch adapter gives TerminateJob when the user pauses (functions/adapters/batch). */
export function isPauseTermination(reason: string | undefined): boolean {
  return !!reason && /^Paused by the user/.test(reason);
}

/** Our job id travels in the tags and in the container environment; either is enough. */
export function tuneplaneJobIdOf(detail: BatchJobDetail): string | undefined {
  return (
    detail.tags?.['tuneplane:job'] ??
    detail.container?.environment?.find((e) => e.name === 'TUNEPLANE_JOB_ID')?.value ??
    undefined
  );
}

function failureReason(detail: BatchJobDetail): string {
  const last = detail.attempts?.[detail.attempts.length - 1];
  const parts = [
    detail.statusReason,
    last?.statusReason,
    last?.container?.reason ?? detail.container?.reason,
  ];
  const exit = last?.container?.exitCode ?? detail.container?.exitCode;
  if (exit !== undefined) parts.push(`exit code ${exit}`);
  const unique = [...new Set(parts.filter((p): p is string => !!p))];
  return unique.length ? unique.join('; ') : 'AWS Batch reported the job as failed without a reason';
}

async function tolerateConflict<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ConflictError) return undefined;
    throw err;
  }
}

export interface HandleOptions {
  /**
   * The reconciler may conclude what a single event cannot: a container that Batch says ended
   * successfully, but whose runner never reported a result, has failed.
   */
  concludeFinished?: boolean;
}

export async function handleBatchStateChange(
  deps: DispatchDeps,
  change: BatchStateChange,
  opts: HandleOptions = {},
): Promise<BatchOutcome> {
  const detail = change.detail;
  const jobId = tuneplaneJobIdOf(detail);
  if (!jobId) return 'ignored_unknown_job';
  const job = await deps.stores.jobs.getById(jobId);
  if (!job || job.provider !== 'batch') return 'ignored_unknown_job';
  // A paused-then-resumed job has a newer Batch job; events of the old one change nothing.
  if (job.providerJobId && detail.jobId && detail.jobId !== job.providerJobId) return 'ignored_stale_attempt';
  if (isTerminal(job.status)) return 'ignored_no_change';

  switch (detail.status as BatchJobStatus) {
    case 'SUBMITTED':
    case 'PENDING':
    case 'RUNNABLE':
    case 'STARTING':
      return noteRetry(deps, job, detail);
    case 'RUNNING': {
      if (job.status !== 'queued') return 'ignored_no_change';
      const r = await tolerateConflict(
        transitionJob(deps, job.id, 'running', {
          expectedStatus: 'queued',
          reason: 'Fine-tuning job started on AWS Batch',
        }),
      );
      return r?.changed ? 'running' : 'ignored_no_change';
    }
    case 'FAILED': {
      // We terminated it ourselves to pause; the job is paused, not failed.
      if (job.status === 'paused') return 'ignored_no_change';
      if (job.status === 'queued' && isPauseTermination(detail.statusReason)) {
        // Resumed, but the new submission failed (Batch unreachable): the job still carries the
        // id of the attempt its pause terminated. Forget that id; the reconciler submits anew.
        const r = await tolerateConflict(
          deps.stores.jobs.update(
            job.id,
            { version: job.version, status: 'queued' },
            { providerJobId: null },
          ),
        );
        return r ? 'awaiting_resubmit' : 'ignored_no_change';
      }
      const reason = failureReason(detail);
      const r = await tolerateConflict(
        transitionJob(deps, job.id, 'failed', {
          reason: `The job failed on AWS Batch: ${reason}`,
          patch: { error: { code: 'batch_job_failed', message: reason, param: null } },
        }),
      );
      return r?.changed ? 'failed' : 'ignored_no_change';
    }
    case 'SUCCEEDED': {
      // The runner writes `succeeded` itself before it exits 0. If that write is not visible,
      // an event alone cannot tell a slow write from a runner that never wrote: leave it to the
      // reconciler, which concludes after a grace period.
      if (!opts.concludeFinished || job.status === 'paused') return 'awaiting_result';
      const r = await tolerateConflict(
        transitionJob(deps, job.id, 'failed', {
          reason: 'The training container exited without reporting a result.',
          patch: {
            error: {
              code: 'runner_no_result',
              message: 'The training container exited without reporting a result.',
              param: null,
            },
          },
        }),
      );
      return r?.changed ? 'finished_without_result' : 'ignored_no_change';
    }
    default:
      return 'ignored_no_change';
  }
}

/** A retried attempt after a host interruption: tell the user, once per attempt. */
async function noteRetry(deps: DispatchDeps, job: JobRecord, detail: BatchJobDetail): Promise<BatchOutcome> {
  const attempts = detail.attempts ?? [];
  const last = attempts[attempts.length - 1];
  if (!last || !isHostInterruption(last.statusReason)) return 'ignored_no_change';
  const step = await resumeStep(deps, job.id);
  await appendJobEvent(deps, job, {
    level: 'warn',
    message: `Interrupted (${last.statusReason}); resuming from step ${step}`,
    data: { attempt: attempts.length + 1, resume_step: step, reason: last.statusReason ?? null },
    dedupeKey: `batch-interrupted:${detail.jobId}:${attempts.length}`,
  });
  return 'interrupted';
}
