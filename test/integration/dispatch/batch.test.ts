/**
 * The AWS Batch path, driven by the real @aws-sdk/client-batch against a loopback stand-in of
 * the Batch control plane, with jobs in the embedded DynamoDB.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BatchClient } from '@aws-sdk/client-batch';
import { batchDispatcher } from '../../../functions/adapters/batch/dispatcher';
import {
  handleBatchStateChange,
  reconcileBatchJobs,
  submitQueuedJob,
  type DispatchDeps,
} from '../../../functions/domain/dispatch';
import { resumeJob, type JobDeps } from '../../../functions/domain/jobs';
import { transitionJob } from '../../../functions/domain/lifecycle';
import type { JobRecord } from '../../../functions/domain/records';
import { startBatchStandin, type BatchStandin } from '../../support/batch-standin';
import { startEmbedded } from '../../support/embedded';
import { jobRecord } from '../../support/records';

type Embedded = Awaited<ReturnType<typeof startEmbedded>>;

let embedded: Embedded;
let standin: BatchStandin;
let deps: DispatchDeps;
let nowMs = Date.UTC(2026, 10, 26, 12, 0, 0);
let seq = 0;

function batchClient(endpoint: string): BatchClient {
  return new BatchClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

async function queuedJob(): Promise<JobRecord> {
  seq += 1;
  const job = jobRecord({
    id: `ftjob-batchtest${String(seq).padStart(4, '0')}${Math.random().toString(36).slice(2, 8)}`,
    provider: 'batch',
    createdAt: Math.floor(nowMs / 1000),
  });
  await embedded.stores.jobs.create(job);
  return job;
}

const dispatcherFor = (s: BatchStandin) =>
  batchDispatcher(batchClient(s.endpoint), {
    jobQueue: 'tuneplane-gpu',
    jobDefinition: 'tuneplane-runner:1',
    tableName: 'tuneplane',
    bucketName: 'tuneplane-bucket',
  });

beforeAll(async () => {
  embedded = await startEmbedded();
  standin = await startBatchStandin();
  deps = { stores: embedded.stores, clock: { nowMs: () => nowMs } };
});

afterAll(async () => {
  await standin?.close();
  await embedded?.stop();
});

beforeEach(() => {
  nowMs += 60_000;
});

async function submitted(): Promise<{ job: JobRecord; batchId: string }> {
  const job = await submitQueuedJob(deps, { batch: dispatcherFor(standin) }, await queuedJob());
  expect(job.providerJobId).toBeTruthy();
  return { job, batchId: job.providerJobId! };
}

async function eventsOf(jobId: string) {
  return (await embedded.stores.events.list(jobId, { limit: 100 })).items;
}

describe('AWS Batch dispatch', () => {
  it('submits the job to the configured queue with only its id and the store names in the environment', async () => {
    const { job, batchId } = await submitted();
    const call = standin.calls.find(
      (c) => c.action === 'submitjob' && String(c.body.jobName).includes(job.id),
    );
    expect(call?.body.jobQueue).toBe('tuneplane-gpu');
    expect(call?.body.jobDefinition).toBe('tuneplane-runner:1');
    const env = standin.jobs.get(batchId)!.environment;
    expect(env).toContainEqual({ name: 'TUNEPLANE_JOB_ID', value: job.id });
    expect(env.map((e) => e.name).sort()).toEqual([
      'TUNEPLANE_BUCKET',
      'TUNEPLANE_JOB_ID',
      'TUNEPLANE_TABLE',
    ]);
    // Submitting again does not start a second container.
    const again = await submitQueuedJob(
      deps,
      { batch: dispatcherFor(standin) },
      (await embedded.stores.jobs.getById(job.id))!,
    );
    expect(again.providerJobId).toBe(batchId);
    expect(
      standin.calls.filter((c) => c.action === 'submitjob' && String(c.body.jobName).includes(job.id)),
    ).toHaveLength(1);
  });

  it('moves the job to running on RUNNING, and duplicated or reordered events change nothing', async () => {
    const { job, batchId } = await submitted();
    standin.setStatus(batchId, 'RUNNING');
    const running = standin.event(batchId);
    expect(await handleBatchStateChange(deps, running)).toBe('running');
    expect(await handleBatchStateChange(deps, running)).toBe('ignored_no_change');
    // A late RUNNABLE (no interruption) does not move it back.
    standin.setStatus(batchId, 'RUNNABLE');
    expect(await handleBatchStateChange(deps, standin.event(batchId))).toBe('ignored_no_change');
    expect((await embedded.stores.jobs.getById(job.id))!.status).toBe('running');
    const started = (await eventsOf(job.id)).filter((e) => e.message.includes('started'));
    expect(started).toHaveLength(1);
  });

  it('carries Batch’s reason to the user when the job fails, and a late RUNNING cannot revive it', async () => {
    const { job, batchId } = await submitted();
    standin.setStatus(batchId, 'RUNNING');
    const late = standin.event(batchId);
    await handleBatchStateChange(deps, late);
    standin.setStatus(batchId, 'FAILED', {
      statusReason: 'Essential container in task exited',
      attempt: {
        container: { exitCode: 1, reason: 'OutOfMemoryError: Container killed due to memory usage' },
        statusReason: 'Essential container in task exited',
      },
    });
    const failed = standin.event(batchId);
    expect(await handleBatchStateChange(deps, failed)).toBe('failed');
    expect(await handleBatchStateChange(deps, failed)).toBe('ignored_no_change');
    expect(await handleBatchStateChange(deps, late)).toBe('ignored_no_change');
    const stored = (await embedded.stores.jobs.getById(job.id))!;
    expect(stored.status).toBe('failed');
    expect(stored.error?.message).toContain('OutOfMemoryError');
    expect(stored.error?.message).toContain('exit code 1');
    const outbox = (await embedded.stores.outbox.listPending(1000)).filter(
      (o) => o.subjectId === job.id && o.type.endsWith('failed'),
    );
    expect(outbox).toHaveLength(1);
  });

  it('reports a Spot reclaim once per attempt, with the step it resumes from', async () => {
    const { job, batchId } = await submitted();
    standin.setStatus(batchId, 'RUNNING');
    await handleBatchStateChange(deps, standin.event(batchId));
    await embedded.stores.checkpoints.put({
      id: `ftckpt-${job.id.slice(6)}-40`,
      jobId: job.id,
      tenantId: job.tenantId,
      createdAt: Math.floor(nowMs / 1000),
      stepNumber: 40,
      metrics: { train_loss: 1.5 },
      fineTunedModelCheckpoint: `ft:tuneplane-base:${job.id}:ckpt-step-40`,
      blobPrefix: `checkpoints/${job.id}/40/`,
    });
    standin.setStatus(batchId, 'RUNNABLE', {
      attempt: { container: {}, statusReason: 'Host EC2 (instance i-0abc) terminated.' },
    });
    const retry = standin.event(batchId);
    expect(await handleBatchStateChange(deps, retry)).toBe('interrupted');
    expect(await handleBatchStateChange(deps, retry)).toBe('interrupted');
    const interrupted = (await eventsOf(job.id)).filter((e) => e.message.startsWith('Interrupted'));
    expect(interrupted).toHaveLength(1);
    expect(interrupted[0].message).toContain('resuming from step 40');
    expect((await embedded.stores.jobs.getById(job.id))!.status).toBe('running');
  });

  it('cancels with CancelJob before the container starts and TerminateJob after', async () => {
    const d = dispatcherFor(standin);
    const a = await submitted();
    await transitionJob(deps, a.job.id, 'cancelled');
    await d.cancel(a.job);
    expect(standin.calls.at(-1)).toMatchObject({ action: 'canceljob', body: { jobId: a.batchId } });

    const b = await submitted();
    standin.setStatus(b.batchId, 'RUNNING');
    await handleBatchStateChange(deps, standin.event(b.batchId));
    const running = (await embedded.stores.jobs.getById(b.job.id))!;
    await d.cancel(running);
    expect(standin.calls.at(-1)).toMatchObject({ action: 'terminatejob', body: { jobId: b.batchId } });
    // The FAILED event that follows a termination does not turn the cancelled job into failed.
    await transitionJob(deps, b.job.id, 'cancelled');
    expect(await handleBatchStateChange(deps, standin.event(b.batchId))).toBe('ignored_no_change');
    expect((await embedded.stores.jobs.getById(b.job.id))!.status).toBe('cancelled');
  });

  it('ignores events of an earlier Batch job after a pause and resume', async () => {
    const d = dispatcherFor(standin);
    const { job, batchId } = await submitted();
    standin.setStatus(batchId, 'RUNNING');
    await handleBatchStateChange(deps, standin.event(batchId));
    await transitionJob(deps, job.id, 'paused');
    await d.pause((await embedded.stores.jobs.getById(job.id))!);
    expect(standin.jobs.get(batchId)!.status).toBe('FAILED');
    // The termination's FAILED event leaves the paused job paused.
    expect(await handleBatchStateChange(deps, standin.event(batchId))).toBe('ignored_no_change');
    const resumed = await d.resume!((await embedded.stores.jobs.getById(job.id))!);
    expect(resumed && resumed.providerJobId).not.toBe(batchId);
    const current = (await embedded.stores.jobs.getById(job.id))!;
    await embedded.stores.jobs.update(
      job.id,
      { version: current.version },
      { providerJobId: resumed!.providerJobId },
    );
    await transitionJob(deps, job.id, 'queued');
    expect(await handleBatchStateChange(deps, standin.event(batchId))).toBe('ignored_stale_attempt');
  });

  it('a resume whose submission met a Batch outage is submitted again later, not failed for the pause', async () => {
    const d = dispatcherFor(standin);
    const { job, batchId } = await submitted();
    standin.setStatus(batchId, 'RUNNING');
    await handleBatchStateChange(deps, standin.event(batchId));
    await transitionJob(deps, job.id, 'paused');
    await d.pause((await embedded.stores.jobs.getById(job.id))!);
    const down = await startBatchStandin();
    await down.close();
    const jobDeps = { ...deps, dispatchers: { batch: dispatcherFor(down) } } as unknown as JobDeps;
    const resumed = await resumeJob(jobDeps, job.tenantId, job.id);
    expect(resumed).toMatchObject({ status: 'queued', providerJobId: batchId });
    // The reconciler sees the terminated (pre-pause) Batch job, then, a while later, submits anew.
    for (let pass = 0; pass < 2; pass++) {
      nowMs += 10 * 60_000;
      await reconcileBatchJobs(
        deps,
        d,
        { batch: d },
        { resultGraceMs: 5 * 60_000, submitRetryAfterMs: 60_000 },
      );
    }
    const after = (await embedded.stores.jobs.getById(job.id))!;
    expect(after.status).toBe('queued');
    expect(after.providerJobId).toBeTruthy();
    expect(after.providerJobId).not.toBe(batchId);
  });

  it('a late FAILED event of the paused attempt, arriving while resume submits anew, does not lose the new Batch id', async () => {
    const d = dispatcherFor(standin);
    const { job, batchId } = await submitted();
    standin.setStatus(batchId, 'RUNNING');
    await handleBatchStateChange(deps, standin.event(batchId));
    await transitionJob(deps, job.id, 'paused');
    await d.pause((await embedded.stores.jobs.getById(job.id))!);
    let newId = '';
    const racing = {
      ...d,
      resume: async (j: JobRecord) => {
        const out = (await d.resume!(j)) as { providerJobId: string };
        newId = out.providerJobId;
        await handleBatchStateChange(deps, standin.event(batchId)); // EventBridge, late
        return out;
      },
    };
    const resumed = await resumeJob(
      { ...deps, dispatchers: { batch: racing } } as unknown as JobDeps,
      job.tenantId,
      job.id,
    );
    expect(newId).toBeTruthy();
    expect(resumed).toMatchObject({ status: 'queued', providerJobId: newId });
  });

  it('keeps the Batch id when the container marks the job running before the id is recorded', async () => {
    const d = dispatcherFor(standin);
    const fast = {
      ...d,
      submit: async (j: JobRecord) => {
        const out = await d.submit(j);
        await transitionJob(deps, j.id, 'running'); // the runner started at once
        return out;
      },
    };
    const job = await queuedJob();
    const after = await submitQueuedJob(deps, { batch: fast }, job);
    expect(after.status).toBe('running');
    expect(after.providerJobId).toBeTruthy();
    // So the reconciler can still ask Batch about it, and cancel can still stop it.
    const report = await reconcileBatchJobs(
      deps,
      d,
      { batch: d },
      { resultGraceMs: 5 * 60_000, submitRetryAfterMs: 60_000 },
    );
    expect(report.outcomes[job.id]).toBeDefined();
  });

  it('the reconciler repairs jobs whose events were lost', async () => {
    const d = dispatcherFor(standin);
    const started = await submitted();
    const failed = await submitted();
    const silent = await submitted();
    standin.setStatus(started.batchId, 'RUNNING');
    standin.setStatus(failed.batchId, 'FAILED', {
      statusReason: 'CannotPullContainerError: image not found',
    });
    standin.setStatus(silent.batchId, 'RUNNING');
    await handleBatchStateChange(deps, standin.event(silent.batchId));
    standin.setStatus(silent.batchId, 'SUCCEEDED', {
      attempt: { container: { exitCode: 0 }, stoppedAt: nowMs - 10 * 60_000 },
    });
    standin.jobs.get(silent.batchId)!.attempts.at(-1)!.stoppedAt = nowMs - 10 * 60_000;

    const report = await reconcileBatchJobs(
      deps,
      d,
      { batch: d },
      { resultGraceMs: 5 * 60_000, submitRetryAfterMs: 60_000 },
    );
    expect(report.outcomes[started.job.id]).toBe('running');
    expect(report.outcomes[failed.job.id]).toBe('failed');
    expect(report.outcomes[silent.job.id]).toBe('finished_without_result');
    expect((await embedded.stores.jobs.getById(failed.job.id))!.error?.message).toContain(
      'CannotPullContainerError',
    );
    expect((await embedded.stores.jobs.getById(silent.job.id))!.error?.code).toBe('runner_no_result');
    // Run again: nothing changes.
    const again = await reconcileBatchJobs(
      deps,
      d,
      { batch: d },
      { resultGraceMs: 5 * 60_000, submitRetryAfterMs: 60_000 },
    );
    expect(again.outcomes[started.job.id]).toBe('ignored_no_change');
    expect(again.outcomes[failed.job.id]).toBeUndefined();
  });

  it('an unreachable Batch leaves the job queued, and the reconciler submits it later', async () => {
    const down = await startBatchStandin();
    await down.close(); // nothing listens there now
    const job = await queuedJob();
    const after = await submitQueuedJob(deps, { batch: dispatcherFor(down) }, job);
    expect(after.status).toBe('queued');
    expect(after.providerJobId ?? null).toBeNull();
    expect((await eventsOf(job.id)).some((e) => e.message.includes('will retry'))).toBe(true);

    nowMs += 120_000;
    const d = dispatcherFor(standin);
    const report = await reconcileBatchJobs(
      deps,
      d,
      { batch: d },
      { resultGraceMs: 5 * 60_000, submitRetryAfterMs: 60_000 },
    );
    expect(report.outcomes[job.id]).toBe('resubmitted');
    expect((await embedded.stores.jobs.getById(job.id))!.providerJobId).toBeTruthy();
  });

  it('a submit that Batch rejects fails the job with Batch’s reason', async () => {
    const job = await queuedJob();
    const d = batchDispatcher(batchClient(standin.endpoint), {
      jobQueue: 'tuneplane-gpu',
      jobDefinition: 'does-not-exist',
      tableName: 't',
      bucketName: 'b',
    });
    standin.rejectNextSubmit('JobDefinition does-not-exist not found');
    const after = await submitQueuedJob(deps, { batch: d }, job);
    expect(after.status).toBe('failed');
    expect(after.error?.code).toBe('dispatch_failed');
    expect(after.error?.message).toContain('does-not-exist not found');
  });
});
