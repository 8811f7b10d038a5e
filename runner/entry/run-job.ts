/**
 * One job, start to finish, through the ports only (the container entry chooses DynamoDB/S3
 * adapters; tests pass in-memory ones):
 *
 *  read the job → mark it running → fetch its files and base model from the blob store → train
 *  (resuming from the newest complete checkpoint under checkpoints/<jobId>/) while writing metrics
 *  events, progress and checkpoint records → upload the model under models/<fine-tuned id>/ and a
 *  results CSV → mark it succeeded (or failed, with the reason).
 *
 * Exit codes (RUNNER_EXIT, openapi/runner.ts; docs/ARCHITECTURE.md, "Job lifecycle and its
 * guarantees"): non-zero only for failures worth retrying. `done` (0) when the job reached a status
 * the runner wrote (including a failure caused by its data or settings), `retryable` (75) when
 * interrupted by SIGTERM after saving a checkpoint, `failed` (1) for unexpected errors (store
 * unreachable, bugs), which a retry may fix.
 */
import { RUNNER_EXIT } from '../../openapi/runner';
import { ConflictError } from '../../functions/errors';
import { appendJobEvent, isTerminal, recordMetrics, transitionJob } from '../../functions/domain/lifecycle';
import type { JobRecord } from '../../functions/domain/records';
import type { BlobStore } from '../../functions/ports/blobs';
import type { Clock, IdGenerator } from '../../functions/ports/clock';
import type { Stores } from '../../functions/ports/store';
import { blobStorage, CheckpointManager } from '../checkpoint';
import { DataError } from '../errors';
import { memoryModelFolder, savePretrained } from '../io';
import type { MetricsReport, ProgressSink } from '../train/sink';
import { runSession } from '../train/session';
import { failJob } from './failure';

export interface JobDeps {
  stores: Stores;
  blobs: BlobStore;
  clock: Clock;
  ids: IdGenerator;
}

export interface RunJobOptions {
  shouldStop?: () => boolean;
  memoryBudgetBytes?: number;
  log?: (line: string) => void;
}

const CSV_COLUMNS = [
  'step',
  'train_loss',
  'train_accuracy',
  'valid_loss',
  'valid_mean_token_accuracy',
  'full_valid_loss',
  'full_valid_mean_token_accuracy',
  'accuracy',
] as const;

export function fineTunedModelId(job: Pick<JobRecord, 'id' | 'model' | 'tenantId' | 'suffix'>): string {
  // OpenAI's shape: ft:<base>:<org>:<suffix>:<id>.
  return `ft:${job.model}:${job.tenantId}:${job.suffix ?? ''}:${job.id.replace(/^ftjob-/, '')}`;
}

async function readText(deps: JobDeps, job: JobRecord, fileId: string, param: string): Promise<string> {
  const file = await deps.stores.files.get(job.tenantId, fileId);
  if (!file) throw new DataError(`file ${fileId} not found`, null, param);
  return new TextDecoder().decode(await deps.blobs.get(file.blobKey));
}

async function modelFolder(deps: JobDeps, job: JobRecord) {
  const record = await deps.stores.models.get(job.tenantId, job.model);
  if (!record) throw new DataError(`model ${job.model} not found`, null, 'model');
  const prefix = record.blobPrefix.endsWith('/') ? record.blobPrefix : `${record.blobPrefix}/`;
  const files = new Map<string, Uint8Array>();
  for (const key of await deps.blobs.list(prefix))
    files.set(key.slice(prefix.length), await deps.blobs.get(key));
  return memoryModelFolder(files);
}

export async function runJob(deps: JobDeps, jobId: string, opts: RunJobOptions = {}): Promise<number> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const initial = await deps.stores.jobs.getById(jobId);
  if (!initial) {
    log(JSON.stringify({ level: 'error', msg: 'job not found', jobId }));
    return RUNNER_EXIT.failed;
  }
  if (isTerminal(initial.status)) return 0;
  let job: JobRecord;
  try {
    job = (await transitionJob(deps, jobId, 'running')).job;
  } catch (err) {
    // Cancelled or paused between dispatch and start: nothing to do.
    if (err instanceof ConflictError) return 0;
    throw err;
  }
  const modelId = fineTunedModelId(job);
  const history: MetricsReport[] = [];
  let stopRequested = false;

  const keep = Number((job.resolvedHyperparameters as { keep_checkpoints?: number }).keep_checkpoints ?? 2);
  const checkpointer = new CheckpointManager(blobStorage(deps.blobs, `checkpoints/${job.id}/`), keep);
  const sink: ProgressSink = {
    message: async (level, text, data) => {
      await appendJobEvent(deps, job, {
        level,
        message: text,
        data: data ?? null,
        dedupeKey: `runner:${job.attempt ?? 1}:${text}`,
      });
    },
    metrics: async (m) => {
      history.push(m);
      const { tokens_per_second: tps, batch_size: bs, grad_norm: gn, ...rest } = m;
      await recordMetrics(deps, job, {
        ...rest,
        totalSteps: job.progress?.totalSteps || undefined,
        tokens_per_second: tps,
        batch_size: bs,
        grad_norm: gn,
      });
      // Progress is advisory: a lost race (cancel, pause) is read back and stops the run.
      try {
        job = await deps.stores.jobs.update(
          job.id,
          { version: job.version, status: 'running' },
          {
            progress: {
              step: m.step,
              totalSteps: job.progress?.totalSteps ?? 0,
              epoch: m.epoch,
              loss: m.train_loss,
            },
          },
        );
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        const now = await deps.stores.jobs.getById(job.id);
        if (now) job = now;
        if (!now || now.status !== 'running') stopRequested = true;
      }
    },
    checkpoint: async (c) => {
      await deps.stores.checkpoints.put({
        id: `ftckpt-${job.id.replace(/^ftjob-/, '')}-${c.id}`,
        jobId: job.id,
        tenantId: job.tenantId,
        createdAt: Math.floor(deps.clock.nowMs() / 1000),
        stepNumber: c.step,
        metrics: c.metrics,
        fineTunedModelCheckpoint: `${modelId}:ckpt-step-${c.step}`,
        blobPrefix: `checkpoints/${job.id}/${c.id}/`,
      });
      // The manager keeps the best k; records of the checkpoints it removed go too, so the API
      // never lists a checkpoint whose files are gone.
      const live = new Set((await checkpointer.manifests()).map((m) => m.id));
      const records = await deps.stores.checkpoints.list(job.id, { limit: 100 });
      for (const r of records.items) {
        const id = r.blobPrefix.split('/').filter(Boolean).at(-1);
        if (id && !live.has(id)) await deps.stores.checkpoints.delete(job.id, r.id);
      }
    },
  };

  try {
    const hyperparameters = { ...job.resolvedHyperparameters, seed: job.seed };
    const session = await runSession({
      model: { folder: await modelFolder(deps, job) },
      train: await readText(deps, job, job.trainingFile, 'training_file'),
      validation: job.validationFile
        ? await readText(deps, job, job.validationFile, 'validation_file')
        : undefined,
      hyperparameters,
      memoryBudgetBytes: opts.memoryBudgetBytes,
      checkpointer,
      sink,
      shouldStop: () => stopRequested || (opts.shouldStop?.() ?? false),
    });
    const { result } = session;
    if (result.status === 'interrupted') {
      session.model.dispose();
      return stopRequested && !opts.shouldStop?.() ? 0 : RUNNER_EXIT.retryable;
    }
    // The model, written to the blob store config.json last (a reader that sees it can rely on the rest).
    const folder = memoryModelFolder();
    await savePretrained(folder, session.model, session.tokenizer);
    const files = [...folder.files].sort(
      ([a], [b]) => Number(a === 'config.json') - Number(b === 'config.json'),
    );
    for (const [name, bytes] of files)
      await deps.blobs.put(
        `models/${modelId}/${name}`,
        bytes,
        name.endsWith('.json') ? 'application/json' : 'application/octet-stream',
      );
    await deps.stores.models.put({
      id: modelId,
      tenantId: job.tenantId,
      createdAt: Math.floor(deps.clock.nowMs() / 1000),
      ownedBy: job.tenantId,
      jobId: job.id,
      blobPrefix: `models/${modelId}/`,
    });
    const resultFile = await writeResults(deps, job, history);
    // Tokens of the examples times the epochs actually run (early stopping ends before the plan).
    const epochsRun =
      session.config.hyperparameters.n_epochs * Math.min(1, result.steps / Math.max(1, result.totalSteps));
    const trainedTokens = Math.round(
      session.train.examples.reduce((s, e) => s + e.ids.length, 0) * epochsRun,
    );
    session.model.dispose();
    const finished = await transitionJob(deps, job.id, 'succeeded', {
      expectedStatus: 'running',
      reason:
        result.status === 'early_stopped'
          ? `The job has successfully completed (early stopping at step ${result.steps}, best step ${result.bestStep})`
          : undefined,
      patch: {
        fineTunedModel: modelId,
        trainedTokens,
        resultFiles: [resultFile],
        finishedAt: Math.floor(deps.clock.nowMs() / 1000),
        progress: {
          step: result.steps,
          totalSteps: result.totalSteps,
          epoch: result.last?.epoch ?? 0,
          loss: result.last?.train_loss,
        },
      },
      eventData: { steps: result.steps, total_steps: result.totalSteps, best_step: result.bestStep ?? null },
    }).catch((err: unknown) => {
      // Paused or cancelled while the last step ran: the user's status stands (a resumed job
      // continues from its newest checkpoint), and the job is not failed for it.
      if (err instanceof ConflictError) return null;
      throw err;
    });
    if (!finished)
      log(
        JSON.stringify({
          level: 'warn',
          msg: 'training finished but the job had changed status; left as it is',
          jobId,
        }),
      );
    return 0;
  } catch (err) {
    return failJob(deps, job, err, log);
  }
}

/** OpenAI's result file: a CSV of the metrics per reported step. */
async function writeResults(deps: JobDeps, job: JobRecord, history: MetricsReport[]): Promise<string> {
  const rows = history.map((m) => {
    const v: Record<string, number | undefined> = { ...m, train_accuracy: m.train_mean_token_accuracy };
    return CSV_COLUMNS.map((c) => (v[c] === undefined ? '' : String(v[c]))).join(',');
  });
  const body = [CSV_COLUMNS.join(','), ...rows].join('\n') + '\n';
  const id = deps.ids.next('file-');
  const blobKey = `results/${job.id}/step_metrics.csv`;
  await deps.blobs.put(blobKey, body, 'text/csv');
  await deps.stores.files.put({
    id,
    tenantId: job.tenantId,
    filename: 'step_metrics.csv',
    bytes: Buffer.byteLength(body),
    purpose: 'fine-tune-results',
    createdAt: Math.floor(deps.clock.nowMs() / 1000),
    status: 'processed',
    blobKey,
  });
  return id;
}
