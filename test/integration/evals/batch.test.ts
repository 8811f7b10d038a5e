/**
 * On AWS an eval run is a Batch job: the same queue and image as training, started with the eval
 * entry. Through the real Batch client against the Batch stand-in (the control plane cannot run
 * here): the submission's command and environment, the job id kept on the run, a submission lost
 * to an outage repaired by the reconciler's pass, a Batch job that failed for good failing its
 * run (from the state event, or from the reconciler's DescribeJobs when the event was lost), and
 * cancelling a run whose job has not started stopping that job.
 */
import { BatchClient } from '@aws-sdk/client-batch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchDispatcher, type BatchDispatcher } from '../../../functions/adapters/batch/dispatcher';
import { DynamoEvalStore } from '../../../functions/adapters/dynamodb';
import {
  executeRun,
  handleEvalBatchState,
  reconcileEvalRuns,
  stopCanceledRun,
  submitLostRuns,
  submitQueuedRun,
} from '../../../functions/domain/evals/runs';
import {
  cancelRun,
  createEval,
  createRun,
  type EvalServiceDeps,
} from '../../../functions/domain/evals/service';
import { timeSortedIds } from '../../../functions/domain/ids';
import { systemClock } from '../../../functions/ports/clock';
import { startBatchStandin, type BatchStandin } from '../../support/batch-standin';
import { startEmbedded, type Embedded } from '../../support/embedded';

let env: Embedded;
let standin: BatchStandin;
let batch: BatchDispatcher;
let deps: EvalServiceDeps;
let store: DynamoEvalStore;

beforeAll(async () => {
  env = await startEmbedded();
  standin = await startBatchStandin();
  batch = batchDispatcher(
    new BatchClient({
      endpoint: standin.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    }),
    { jobQueue: 'gpu-queue', jobDefinition: 'runner', tableName: 'tuneplane', bucketName: 'bucket' },
  );
  store = new DynamoEvalStore({ doc: env.clients.doc, table: env.config.table, clock: systemClock });
  deps = {
    evals: store,
    stores: env.stores,
    blobs: env.blobs,
    clock: systemClock,
    ids: timeSortedIds(systemClock),
    onRunQueued: (run) =>
      submitQueuedRun({ evals: store, clock: systemClock }, run, (r) => batch.submitEvalRun(r)),
    onRunCanceled: (run) => stopCanceledRun({}, run, (r) => batch.stopEvalRun(r)),
  };
});
afterAll(async () => {
  await standin?.close();
  await env?.stop();
});

async function queueRun() {
  const e = await createEval(deps, 'tenant-a', {
    data_source_config: { type: 'custom', item_schema: { type: 'object' }, include_sample_schema: false },
    testing_criteria: [{ type: 'string_check', name: 'x', input: 'a', reference: 'a', operation: 'eq' }],
  });
  return createRun(deps, 'tenant-a', e.id, {
    data_source: { type: 'jsonl', source: { type: 'file_content', content: [{ item: {} }] } },
  });
}

describe('eval runs on AWS Batch', () => {
  it('submits the run as a Batch job running the eval entry, and keeps the job id on the run', async () => {
    const run = await queueRun();
    const submit = standin.calls.filter((c) => c.action === 'submitjob').at(-1)!.body as {
      jobQueue: string;
      jobDefinition: string;
      containerOverrides: { command: string[]; environment: { name: string; value: string }[] };
    };
    expect(submit.jobQueue).toBe('gpu-queue');
    expect(submit.jobDefinition).toBe('runner');
    expect(submit.containerOverrides.command).toEqual(['dist/eval-run.mjs']);
    expect(Object.fromEntries(submit.containerOverrides.environment.map((e) => [e.name, e.value]))).toEqual({
      TUNEPLANE_EVAL_RUN_ID: run.id,
      TUNEPLANE_TABLE: 'tuneplane',
      TUNEPLANE_BUCKET: 'bucket',
    });
    const stored = await store.getRunById(run.id);
    expect(stored?.providerJobId).toBeTruthy();
    expect(standin.jobs.has(stored!.providerJobId!)).toBe(true);
  });

  it('a submission lost to an outage leaves the run queued; the reconciler pass submits it once', async () => {
    standin.rejectNextSubmit('queue unavailable');
    const run = await queueRun();
    expect((await store.getRunById(run.id))?.providerJobId ?? null).toBeNull();
    const later = { nowMs: () => systemClock.nowMs() + 10 * 60_000 };
    const resubmitted = await submitLostRuns({ evals: store, clock: later }, (r) => batch.submitEvalRun(r), {
      afterMs: 5 * 60_000,
    });
    expect(resubmitted).toContain(run.id);
    expect((await store.getRunById(run.id))?.providerJobId).toBeTruthy();
    const again = await submitLostRuns({ evals: store, clock: later }, (r) => batch.submitEvalRun(r), {
      afterMs: 5 * 60_000,
    });
    expect(again).not.toContain(run.id);
  });

  const lifecycle = () => ({ evals: store, stores: env.stores, clock: systemClock });
  const failFor = (jobId: string) =>
    standin.setStatus(jobId, 'FAILED', {
      statusReason: 'Essential container in task exited',
      attempt: { container: { exitCode: 1, reason: 'OutOfMemoryError' } } as never,
    });

  it("a Batch job that failed for good fails its run with Batch's reason, once, with one webhook", async () => {
    const run = await queueRun();
    const jobId = (await store.getRunById(run.id))!.providerJobId!;
    failFor(jobId);
    expect(await handleEvalBatchState(lifecycle(), standin.event(jobId).detail)).toBe('failed');
    const failed = (await store.getRunById(run.id))!;
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('runner_failed');
    expect(failed.error?.message).toContain('exit code 1');
    expect(failed.error?.message).toContain('OutOfMemoryError');
    // EventBridge delivers at least once: the same event again changes nothing.
    expect(await handleEvalBatchState(lifecycle(), standin.event(jobId).detail)).toBe('ignored');
    const pending = (await env.stores.outbox.listPending(1000)).filter((e) => e.subjectId === run.id);
    expect(pending.map((e) => [e.id, e.type])).toEqual([[`${run.id}:failed`, 'eval.run.failed']]);
  });

  it("ignores a failed Batch job that is not the run's (a duplicate submission) and other states", async () => {
    const run = await queueRun();
    const dup = await batch.submitEvalRun(run);
    failFor(dup.providerJobId);
    expect(await handleEvalBatchState(lifecycle(), standin.event(dup.providerJobId).detail)).toBe('ignored');
    const jobId = (await store.getRunById(run.id))!.providerJobId!;
    standin.setStatus(jobId, 'RUNNING');
    expect(await handleEvalBatchState(lifecycle(), standin.event(jobId).detail)).toBe('ignored');
    expect((await store.getRunById(run.id))!.status).toBe('queued');
  });

  it('the reconciler fails a run whose Batch job failed when the event was lost', async () => {
    const run = await queueRun();
    const jobId = (await store.getRunById(run.id))!.providerJobId!;
    failFor(jobId);
    const report = await reconcileEvalRuns(
      lifecycle(),
      { submit: (r) => batch.submitEvalRun(r), describe: (ids) => batch.describe(ids) },
      { submitRetryAfterMs: 5 * 60_000 },
    );
    expect(report.failed).toContain(run.id);
    expect((await store.getRunById(run.id))!.status).toBe('failed');
  });

  it('cancelling a run whose Batch job has not started stops the job; if it starts anyway it exits', async () => {
    const run = await queueRun();
    const jobId = (await store.getRunById(run.id))!.providerJobId!;
    expect(standin.jobs.get(jobId)?.status).toBe('SUBMITTED');
    const canceled = await cancelRun(deps, 'tenant-a', run.evalId, run.id);
    expect(canceled.status).toBe('canceled');
    const stopCall = standin.calls.filter((c) => c.action === 'terminatejob').at(-1);
    expect(stopCall?.body).toMatchObject({ jobId });
    expect(standin.jobs.get(jobId)?.status).toBe('FAILED');
    // A container that started before the stop reached it takes nothing: the run is final.
    expect(await executeRun({ ...deps, owner: 'late' }, run.id)).toBe('final');
    expect((await store.getRunById(run.id))!.counts.total).toBe(0);
    // Batch's FAILED event for the stopped job leaves the cancelled run as it is.
    expect(await handleEvalBatchState(lifecycle(), standin.event(jobId).detail)).toBe('ignored');
    expect((await store.getRunById(run.id))!.status).toBe('canceled');
  });

  it('a run is cancelled even when Batch cannot be reached to stop its job', async () => {
    const run = await queueRun();
    const logged: string[] = [];
    const canceled = await cancelRun(
      {
        ...deps,
        onRunCanceled: (r) =>
          stopCanceledRun({ log: (m) => logged.push(m) }, r, async () => {
            throw new Error('Batch unavailable');
          }),
      },
      'tenant-a',
      run.evalId,
      run.id,
    );
    expect(canceled.status).toBe('canceled');
    expect(logged).toHaveLength(1);
  });
});
