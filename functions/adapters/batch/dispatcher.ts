/**
 * AWS Batch dispatcher: a job becomes one Batch job on the GPU queue; the container gets only the
 * job id (and where the store is) in its environment and reads everything else itself.
 */
import {
  BatchClient,
  CancelJobCommand,
  DescribeJobsCommand,
  SubmitJobCommand,
  TerminateJobCommand,
  type JobDetail,
} from '@aws-sdk/client-batch';
import type { JobRecord } from '../../domain/records';
import type { Dispatcher } from '../../ports/dispatcher';
import { ProviderRejectedError, UpstreamError } from '../../errors';

export interface BatchDispatcherConfig {
  jobQueue: string;
  jobDefinition: string;
  /** Passed to the container so it finds the same store the API uses. */
  tableName: string;
  bucketName: string;
}

/** Batch job names allow letters, digits, hyphens and underscores, up to 128 characters. */
export function batchJobName(jobId: string): string {
  return `tuneplane-${jobId}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 128);
}

/** Batch's ClientException means the request itself is wrong; anything else may pass on a retry. */
function upstream(action: string, err: unknown): UpstreamError | ProviderRejectedError {
  const message = `AWS Batch ${action} failed: ${(err as Error).message}`;
  if ((err as { name?: string }).name === 'ClientException') return new ProviderRejectedError(message, err);
  return new UpstreamError(message, { cause: err });
}

export interface BatchDispatcher extends Dispatcher {
  /**
   * An eval run as a Batch job on the same queue and image, started with the eval entry
   * (`dist/eval-run.mjs`, runner/entry/eval-run.ts) instead of the trainer's.
   */
  submitEvalRun(run: { id: string; tenantId: string }): Promise<{ providerJobId: string }>;
  /** Stops a cancelled eval run's Batch job, whether it has started or not. */
  stopEvalRun(run: { id: string; providerJobId: string }): Promise<void>;
  pause(job: JobRecord): Promise<void>;
  resume(job: JobRecord): Promise<{ providerJobId: string }>;
  /** DescribeJobs for up to 100 ids per call (the reconciler's view of Batch). */
  describe(providerJobIds: string[]): Promise<JobDetail[]>;
}

export function batchDispatcher(client: BatchClient, cfg: BatchDispatcherConfig): BatchDispatcher {
  return {
    async submit(job: JobRecord) {
      // Submitting twice would start two containers; the caller records providerJobId with a
      // conditional write, and a job that already has one is not submitted again.
      if (job.providerJobId) return { providerJobId: job.providerJobId };
      return submitNew(job);
    },

    async cancel(job: JobRecord) {
      await stop(job, `Cancelled by the user (${job.id})`);
    },

    // Pausing a Batch job frees the GPU: the container is terminated, saves a checkpoint on
    // SIGTERM, and resume submits a new Batch job that continues from that checkpoint.
    async pause(job: JobRecord) {
      await stop(job, `Paused by the user (${job.id})`);
    },

    async resume(job: JobRecord) {
      return submitNew(job);
    },

    async submitEvalRun(run) {
      try {
        const out = await client.send(
          new SubmitJobCommand({
            jobName: batchJobName(run.id),
            jobQueue: cfg.jobQueue,
            jobDefinition: cfg.jobDefinition,
            containerOverrides: {
              command: ['dist/eval-run.mjs'],
              environment: [
                { name: 'TUNEPLANE_EVAL_RUN_ID', value: run.id },
                { name: 'TUNEPLANE_TABLE', value: cfg.tableName },
                { name: 'TUNEPLANE_BUCKET', value: cfg.bucketName },
              ],
            },
            tags: { 'tuneplane:eval-run': run.id, 'tuneplane:tenant': run.tenantId },
            propagateTags: true,
          }),
        );
        if (!out.jobId) throw new Error('SubmitJob returned no jobId');
        return { providerJobId: out.jobId };
      } catch (err) {
        throw upstream('SubmitJob', err);
      }
    },

    async stopEvalRun(run) {
      // TerminateJob, not CancelJob: it cancels a job that has not started and stops one that has,
      // and the run's status cannot say which the job is in (it turns in_progress only once the
      // container has started and taken the run).
      try {
        await client.send(
          new TerminateJobCommand({ jobId: run.providerJobId, reason: `Eval run cancelled (${run.id})` }),
        );
      } catch (err) {
        throw upstream('TerminateJob', err);
      }
    },

    async describe(ids: string[]) {
      const out: JobDetail[] = [];
      for (let i = 0; i < ids.length; i += 100) {
        try {
          const res = await client.send(new DescribeJobsCommand({ jobs: ids.slice(i, i + 100) }));
          out.push(...(res.jobs ?? []));
        } catch (err) {
          throw upstream('DescribeJobs', err);
        }
      }
      return out;
    },
  };

  async function submitNew(job: JobRecord): Promise<{ providerJobId: string }> {
    try {
      const out = await client.send(
        new SubmitJobCommand({
          jobName: batchJobName(job.id),
          jobQueue: cfg.jobQueue,
          jobDefinition: cfg.jobDefinition,
          containerOverrides: {
            environment: [
              { name: 'TUNEPLANE_JOB_ID', value: job.id },
              { name: 'TUNEPLANE_TABLE', value: cfg.tableName },
              { name: 'TUNEPLANE_BUCKET', value: cfg.bucketName },
            ],
          },
          tags: { 'tuneplane:job': job.id, 'tuneplane:tenant': job.tenantId },
          propagateTags: true,
        }),
      );
      if (!out.jobId) throw new Error('SubmitJob returned no jobId');
      return { providerJobId: out.jobId };
    } catch (err) {
      throw upstream('SubmitJob', err);
    }
  }

  async function stop(job: JobRecord, reason: string): Promise<void> {
    if (!job.providerJobId) return;
    // CancelJob only affects jobs that have not started; once the container may be running,
    // TerminateJob is the call that stops it (the runner gets SIGTERM and checkpoints).
    const notStarted = job.status === 'queued' || job.status === 'validating_files';
    try {
      if (notStarted) await client.send(new CancelJobCommand({ jobId: job.providerJobId, reason }));
      else await client.send(new TerminateJobCommand({ jobId: job.providerJobId, reason }));
    } catch (err) {
      throw upstream(notStarted ? 'CancelJob' : 'TerminateJob', err);
    }
  }
}
