/**
 * Lambda entry point: the reconciler, every few minutes (infra/aws/constructs/events.ts). Repairs
 * what events missed: Batch jobs whose state-change events were lost or whose submission failed
 * (`reconcileBatchJobs`), OpenAI jobs, whose state is polled (`pollMirroredJobs`), transitions whose
 * event or outbox entry a crash cut off (`repairRecentFollowUps`); it deletes files past their
 * `expires_after` with their bytes (`deleteExpiredFiles`: the table's TTL cannot reach S3); and
 * it advances every active sweep (`tickSweeps`: evaluations reported since the last pass,
 * pruning, new trials).
 */
import { BatchClient } from '@aws-sdk/client-batch';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { cachedSecret, decodeOpenAiSecret, loadReconcilerConfig } from '../config';
import { createDynamoStores, documentClientFor } from '../adapters/dynamodb';
import { lazyS3BlobStore } from '../adapters/s3/lazy';
import { batchDispatcher } from '../adapters/batch/dispatcher';
import { DynamoEvalStore, DynamoSweepStore } from '../adapters/dynamodb';
import { ownModelSampler } from '../domain/evals/own-models';
import { reconcileEvalRuns, submitQueuedRun } from '../domain/evals/runs';
import { pollMirroredJobs, reconcileBatchJobs, submitUnsubmittedJobs } from '../domain/dispatch';
import { deleteExpiredFiles } from '../domain/files';
import { timeSortedIds } from '../domain/ids';
import { failAbandonedCreations, repairRecentFollowUps } from '../domain/lifecycle';
import { modelCatalog } from '../domain/models';
import { tickSweeps, type ControllerDeps } from '../domain/sweeps/controller';
import { Metric, createObservability } from '../observability';
import { systemClock } from '../ports/clock';
import { lazyOpenAi } from './lib/openai';
import { secretsManagerReader } from './lib/secrets-manager';

const config = loadReconcilerConfig(process.env);
const obs = createObservability('reconciler');
const doc = documentClientFor(config);
const stores = createDynamoStores(doc, config.tableName);
// Only the OpenAI mirror reads blobs (training files to upload): S3 loads when it first does.
const blobs = lazyS3BlobStore(config, config.bucketName);
const deps = { stores, clock: systemClock };
const batch = batchDispatcher(new BatchClient({ region: config.region }), {
  ...config.batch,
  tableName: config.tableName,
  bucketName: config.bucketName,
});
const openai = lazyOpenAi(
  cachedSecret(secretsManagerReader(config.region), config.openAiSecretArn, decodeOpenAiSecret),
  { files: stores.files, blobs },
);

const evalStore = new DynamoEvalStore({ doc, table: config.tableName, clock: systemClock });
const sweepDeps: ControllerDeps = {
  stores,
  blobs,
  clock: systemClock,
  ids: timeSortedIds(systemClock),
  dispatchers: { batch, openai },
  models: modelCatalog({ models: stores.models, blobs }),
  defaultProvider: 'batch',
  sweeps: new DynamoSweepStore({ doc, table: config.tableName, clock: systemClock }),
  // Sweeps with an eval objective: each trial's model is measured by an eval run on Batch.
  evalService: {
    evals: evalStore,
    stores,
    blobs,
    clock: systemClock,
    ids: timeSortedIds(systemClock),
    sampler: ownModelSampler({ stores, clock: systemClock }),
    onRunQueued: (run) =>
      submitQueuedRun(
        { evals: evalStore, clock: systemClock, log: (m, d) => obs.logger.warn(m, d ?? {}) },
        run,
        (r) => batch.submitEvalRun(r),
      ),
  },
};

/** Follow-ups of transitions this recent are re-put (idempotent) in case a crash cut them off. */
const REPAIR_WINDOW_MS = 30 * 60_000;
/** A job still `validating_files` this long after creation lost its creating request (the API Lambda times out at 29 s). */
const ABANDONED_CREATION_MS = 10 * 60_000;
/** A container that ended this long ago without the runner's result has failed. */
const RESULT_GRACE_MS = 10 * 60_000;
/** A queued Batch or OpenAI job with no provider id this long after queuing had its submit lost: submit again. */
const SUBMIT_RETRY_AFTER_MS = 5 * 60_000;
/** Expired files deleted per pass; the rest wait for the next (they are hidden meanwhile). */
const EXPIRED_FILES_PER_PASS = 500;

export async function handler(_event: ScheduledEvent, context: Context) {
  obs.begin(context);
  try {
    const batchReport = await reconcileBatchJobs(
      deps,
      batch,
      { batch, openai },
      { resultGraceMs: RESULT_GRACE_MS, submitRetryAfterMs: SUBMIT_RETRY_AFTER_MS },
    );
    const openAiConfigured = await openai.configured();
    const openAiReport = openAiConfigured ? await pollMirroredJobs(deps, openai, 'openai') : {};
    // OpenAI jobs whose submit met an outage have no OpenAI id, so polling never sees them.
    const openAiResubmitted = openAiConfigured
      ? await submitUnsubmittedJobs(deps, { openai }, 'openai', { afterMs: SUBMIT_RETRY_AFTER_MS })
      : [];
    const repaired = await repairRecentFollowUps(deps, { windowMs: REPAIR_WINDOW_MS });
    const abandoned = await failAbandonedCreations(deps, { afterMs: ABANDONED_CREATION_MS });
    const expiredFiles = (
      await deleteExpiredFiles({ stores, blobs, clock: systemClock }, { limit: EXPIRED_FILES_PER_PASS })
    ).length;
    const sweeps = await tickSweeps(sweepDeps);
    // Eval runs on Batch: submissions lost to an outage, failures whose event was lost.
    const evalRuns = await reconcileEvalRuns(
      {
        evals: evalStore,
        stores,
        clock: systemClock,
      },
      { submit: (run) => batch.submitEvalRun(run), describe: (ids) => batch.describe(ids) },
      { submitRetryAfterMs: SUBMIT_RETRY_AFTER_MS },
    );
    const changed = Object.keys(batchReport.outcomes).length + Object.keys(openAiReport).length;
    obs.count(Metric.JobsReconciled, changed);
    obs.logger.info('reconciled', {
      batch: batchReport,
      openai: openAiReport,
      openAiResubmitted,
      repaired,
      abandoned,
      expiredFiles,
      sweeps,
      evalRuns,
    });
    return {
      batch: batchReport,
      openai: openAiReport,
      openAiResubmitted,
      repaired,
      abandoned,
      expiredFiles,
      sweeps,
      evalRuns,
    };
  } catch (err) {
    obs.logger.error('reconcile failed', err as Error);
    throw err;
  } finally {
    obs.flush();
  }
}
