/**
 * One job, start to finish, through the ports only (the container entry chooses DynamoDB/S3
 * adapters; tests pass in-memory ones):
 *
 *  read the job → mark it running → download its files (streamed to a work folder on disk, which
 *  the session reads as streams: a training file may be larger than memory) and fetch the base
 *  model from the blob store → train
 *  (resuming from the newest complete checkpoint under checkpoints/<jobId>/) while the job sink
 *  (sink.ts) writes metrics events, progress and checkpoint records → publish the model under
 *  models/<fine-tuned id>/ and a results CSV, mark it succeeded (publish.ts) → or fail it with the
 *  reason (failure.ts).
 *
 * Exit codes (RUNNER_EXIT, openapi/runner.ts; docs/ARCHITECTURE.md, "Job lifecycle and its
 * guarantees"): non-zero only for failures worth retrying. `done` (0) when the job reached a status
 * the runner wrote (including a failure caused by its data or settings), `retryable` (75) when
 * interrupted by SIGTERM after saving a checkpoint, `failed` (1) for unexpected errors (store
 * unreachable, bugs), which a retry may fix.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { RUNNER_EXIT } from '../../openapi/runner';
import { ConflictError } from '../../functions/errors';
import { isTerminal, transitionJob } from '../../functions/domain/lifecycle';
import type { JobRecord } from '../../functions/domain/records';
import type { BlobStore } from '../../functions/ports/blobs';
import type { Clock, IdGenerator } from '../../functions/ports/clock';
import type { Stores } from '../../functions/ports/store';
import { blobStorage, CheckpointManager } from '../checkpoint';
import { DataError } from '../errors';
import { memoryModelFolder } from '../io';
import { runSession } from '../train/session';
import { failJob } from './failure';
import { fineTunedModelId, markSucceeded, publishModel, writeResults } from './publish';
import { jobSink } from './sink';

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
  /** Reports closer together than this are written together (default: the sink's WRITE_EVERY_MS). */
  writeEveryMs?: number;
}

/** Streams a job's file from the blob store into `dir`. */
async function download(
  deps: JobDeps,
  job: JobRecord,
  fileId: string,
  param: string,
  dir: string,
): Promise<{ path: string }> {
  const file = await deps.stores.files.get(job.tenantId, fileId);
  if (!file) throw new DataError(`file ${fileId} not found`, null, param);
  const target = path.join(dir, `${param}.data`);
  const body = (await deps.blobs.getStream(file.blobKey)) as WebReadableStream<Uint8Array>;
  await pipeline(Readable.fromWeb(body), createWriteStream(target));
  return { path: target };
}

/** The job's model: a folder with weights, or for a config-only model its config and tokenizer (fresh weights from the job's seed). */
async function modelSource(deps: JobDeps, job: JobRecord) {
  const record = await deps.stores.models.get(job.tenantId, job.model);
  if (!record) throw new DataError(`model ${job.model} not found`, null, 'model');
  const prefix = record.blobPrefix.endsWith('/') ? record.blobPrefix : `${record.blobPrefix}/`;
  const files = new Map<string, Uint8Array>();
  for (const key of await deps.blobs.list(prefix))
    files.set(key.slice(prefix.length), await deps.blobs.get(key));
  if (!record.untrained) return { folder: memoryModelFolder(files) };
  const json = (name: string) => {
    const bytes = files.get(name);
    return bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>) : undefined;
  };
  const config = json('config.json');
  const tokenizer = json('tokenizer.json');
  if (!config || !tokenizer)
    throw new DataError(`model ${job.model} has no config.json or tokenizer.json`, null, 'model');
  // A job's model_config (architecture keys, e.g. a sweep trial's) lays over the config.json.
  return {
    config: { ...config, ...(job.modelConfig ?? {}) },
    tokenizer: { json: tokenizer, config: json('tokenizer_config.json') },
  };
}

/** The job, marked running; or the exit code when there is nothing to run (gone, final, cancelled or paused since dispatch). */
async function start(deps: JobDeps, jobId: string, log: (line: string) => void): Promise<JobRecord | number> {
  const initial = await deps.stores.jobs.getById(jobId);
  if (!initial) {
    log(JSON.stringify({ level: 'error', msg: 'job not found', jobId }));
    return RUNNER_EXIT.failed;
  }
  if (isTerminal(initial.status)) return RUNNER_EXIT.done;
  try {
    return (await transitionJob(deps, jobId, 'running')).job;
  } catch (err) {
    // Cancelled or paused between dispatch and start: nothing to do.
    if (err instanceof ConflictError) return RUNNER_EXIT.done;
    throw err;
  }
}

export async function runJob(deps: JobDeps, jobId: string, opts: RunJobOptions = {}): Promise<number> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const job = await start(deps, jobId, log);
  if (typeof job === 'number') return job;
  const modelId = fineTunedModelId(job);
  const keep = Number((job.resolvedHyperparameters as { keep_checkpoints?: number }).keep_checkpoints ?? 2);
  const checkpointer = new CheckpointManager(blobStorage(deps.blobs, `checkpoints/${job.id}/`), keep);
  const progress = jobSink(deps, job, { checkpointer, modelId, writeEveryMs: opts.writeEveryMs });
  const work = await mkdtemp(path.join(tmpdir(), 'tuneplane-job-'));
  try {
    if (job.resumedFrom) await adoptCheckpoint(deps, checkpointer, job.resumedFrom, keep);
    const session = await runSession({
      model: await modelSource(deps, job),
      train: await download(deps, job, job.trainingFile, 'training_file', work),
      validation: job.validationFile
        ? await download(deps, job, job.validationFile, 'validation_file', work)
        : undefined,
      dataDir: work,
      hyperparameters: { ...job.resolvedHyperparameters, seed: job.seed },
      memoryBudgetBytes: opts.memoryBudgetBytes,
      checkpointer,
      sink: progress.sink,
      shouldStop: () => progress.stopRequested || (opts.shouldStop?.() ?? false),
    });
    await progress.flush();
    if (session.result.status === 'interrupted') {
      session.model.dispose();
      // Stopped by the user (cancel, pause) rather than by a signal: their status stands.
      return progress.stopRequested && !opts.shouldStop?.() ? RUNNER_EXIT.done : RUNNER_EXIT.retryable;
    }
    await publishModel(deps, job, modelId, session);
    const resultFile = await writeResults(deps, job, progress.history);
    session.model.dispose();
    if (!(await markSucceeded(deps, job, session, { modelId, resultFile })))
      log(
        JSON.stringify({
          level: 'warn',
          msg: 'training finished but the job had changed status; left as it is',
          jobId,
        }),
      );
    return RUNNER_EXIT.done;
  } catch (err) {
    // The last metrics first, so the failure is the job's last event; a write that failed too is
    // the same failure seen twice.
    await progress.flush().catch(() => {});
    return failJob(deps, job, err, log);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * A job that continues a failed one starts from that job's checkpoint: copied once into this
 * job's own checkpoints (manifest last, so a copy cut short does not count), after which resuming
 * works as for any interrupted attempt. Skipped once this job has checkpoints of its own.
 */
async function adoptCheckpoint(
  deps: JobDeps,
  own: CheckpointManager,
  from: NonNullable<JobRecord['resumedFrom']>,
  keep: number,
): Promise<void> {
  if ((await own.manifests()).length > 0) return;
  const source = new CheckpointManager(blobStorage(deps.blobs, `checkpoints/${from.jobId}/`), keep);
  const manifest = (await source.manifests()).find((m) => m.step === from.step);
  if (!manifest)
    throw new DataError(
      `the checkpoint at step ${from.step} of job ${from.jobId} is gone`,
      null,
      'resumed_from',
    );
  for (const name of [...Object.keys(manifest.files), 'manifest.json'])
    await own.storage.write(`${manifest.id}/${name}`, await source.storage.read(`${manifest.id}/${name}`));
}
