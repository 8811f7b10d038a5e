/**
 * Repairs Batch jobs whose state-change events were lost: asks Batch (DescribeJobs) about every
 * job we think is queued or running and feeds the answers through the same handler as events.
 */
import type { JobRecord } from '../records';
import { transitionJob } from '../lifecycle';
import { ConflictError } from '../../errors';
import type { DispatchDeps } from './deps';
import { handleBatchStateChange, type BatchJobDetail, type BatchOutcome } from './batch-events';
import { submitUnsubmittedJobs, type Dispatchers } from './submit';

export interface BatchDescriber {
  describe(providerJobIds: string[]): Promise<BatchJobDetail[]>;
}

export interface ReconcileOptions {
  /** A container that ended this long ago without a result has failed. */
  resultGraceMs: number;
  /** Queued jobs never handed to Batch (a failed submit) are submitted again after this long. */
  submitRetryAfterMs: number;
  limit?: number;
}

export interface ReconcileReport {
  examined: number;
  outcomes: Record<string, BatchOutcome | 'resubmitted' | 'missing_in_batch'>;
}

export async function reconcileBatchJobs(
  deps: DispatchDeps,
  batch: BatchDescriber,
  dispatchers: Dispatchers,
  opts: ReconcileOptions,
): Promise<ReconcileReport> {
  const jobs = (await deps.stores.jobs.listByStatus(['queued', 'running'], opts.limit ?? 500)).filter(
    (j) => j.provider === 'batch',
  );
  const report: ReconcileReport = { examined: jobs.length, outcomes: {} };
  const now = deps.clock.nowMs();

  const resubmitted = await submitUnsubmittedJobs(deps, dispatchers, 'batch', {
    afterMs: opts.submitRetryAfterMs,
    limit: opts.limit,
  });
  for (const id of resubmitted) report.outcomes[id] = 'resubmitted';

  const submitted = jobs.filter((j): j is JobRecord & { providerJobId: string } => !!j.providerJobId);
  const details = await batch.describe(submitted.map((j) => j.providerJobId));
  const byId = new Map(details.map((d) => [d.jobId, d]));
  for (const job of submitted) {
    const detail = byId.get(job.providerJobId);
    if (!detail) {
      // Batch forgets jobs some days after they end; one it never heard of cannot be running.
      try {
        await transitionJob(deps, job.id, 'failed', {
          reason: `AWS Batch has no record of job ${job.providerJobId}.`,
          patch: {
            error: { code: 'batch_job_missing', message: 'AWS Batch has no record of the job.', param: null },
          },
        });
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
      report.outcomes[job.id] = 'missing_in_batch';
      continue;
    }
    const stoppedAt = detail.stoppedAt ?? detail.attempts?.[detail.attempts.length - 1]?.stoppedAt;
    const concludeFinished = stoppedAt !== undefined && now - stoppedAt >= opts.resultGraceMs;
    report.outcomes[job.id] = await handleBatchStateChange(deps, { detail }, { concludeFinished });
  }
  return report;
}
