/**
 * The trainer's progress, written to the job: messages become job events, metrics become metrics
 * events plus the job's progress, checkpoints become checkpoint records (and the records of the
 * checkpoints the manager pruned go). A cancel or pause seen while writing progress raises
 * `stopRequested`, which the trainer polls between steps.
 *
 * Metrics are written behind the training, in batches: each report costs the table three writes
 * (its event, its step in the metrics columns, the job's progress), which blocked the next step
 * when they were awaited in line and, written every step, still took a tenth of a short job's CPU
 * on a 2-core machine running the embedded stores. A report is written at once when the last
 * write started at least WRITE_EVERY_MS ago (so the first step shows without delay); reports
 * meanwhile wait and go with the next one, their steps in one metrics-columns update and only the
 * newest as the job's progress. One batch is in flight at most. Messages and checkpoints write
 * the reports before them first, so the job's events keep their order; `flush` writes the rest.
 * A failed write surfaces at the sink's next call or at `flush`. Cancel and pause are seen at the
 * next progress write, within about WRITE_EVERY_MS of a step. A sweep's trials report without the
 * wait (see below).
 */
import { ConflictError } from '../../functions/errors';
import { appendJobEvent, recordMetricsBatch } from '../../functions/domain/lifecycle';
import type { JobRecord } from '../../functions/domain/records';
import type { CheckpointManager } from '../checkpoint';
import type { MetricsReport, ProgressSink } from '../train/sink';
import type { JobDeps } from './run-job';

export interface JobSink {
  sink: ProgressSink;
  /** Every metrics report, in order (the results file). */
  readonly history: MetricsReport[];
  /** The job left `running` (cancelled, paused) while it trained. */
  readonly stopRequested: boolean;
  /** Writes the metrics not yet written and waits for them; throws if a write failed. */
  flush(): Promise<void>;
}

/** Reports closer together than this are written together. */
export const WRITE_EVERY_MS = 1_000;
/** Reports waiting while a write is in flight before the trainer waits too (a store far slower than training). */
const MAX_PENDING = 500;

export function jobSink(
  deps: JobDeps,
  started: JobRecord,
  opts: { checkpointer: CheckpointManager; modelId: string; writeEveryMs?: number },
): JobSink {
  // A sweep's trial is written as fast as the table takes it (batches form only while a write is in
  // flight): early stopping decides on its reports, and a trial of a few seconds would otherwise
  // finish before its rung's report is seen.
  const writeEveryMs = opts.writeEveryMs ?? (started.sweepId ? 0 : WRITE_EVERY_MS);
  // The newest record read or written: progress updates are conditional on its version.
  let job = started;
  const history: MetricsReport[] = [];
  let stopRequested = false;
  /** Reported, not yet being written. */
  let pending: MetricsReport[] = [];
  /** The batch being written. */
  let writing: Promise<void> | undefined;
  let lastWriteAt = -Infinity;
  /** Writes what waits once WRITE_EVERY_MS has passed, should no report come to do it (a long evaluation). */
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failure: { error: unknown } | undefined;

  const writeBatch = async (batch: MetricsReport[]): Promise<void> => {
    await recordMetricsBatch(
      deps,
      job,
      batch.map(({ tokens_per_second: tps, batch_size: bs, grad_norm: gn, ...rest }) => ({
        ...rest,
        totalSteps: job.progress?.totalSteps || undefined,
        tokens_per_second: tps,
        batch_size: bs,
        grad_norm: gn,
      })),
    );
    const m = batch.at(-1)!;
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
  };
  const schedule = () => {
    if (timer || writing || !pending.length || failure) return;
    const wait = lastWriteAt + writeEveryMs - performance.now();
    if (wait <= 0) return startWrite();
    timer = setTimeout(() => {
      timer = undefined;
      schedule();
    }, wait);
  };
  const startWrite = () => {
    clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    lastWriteAt = performance.now();
    writing = writeBatch(batch)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => {
        writing = undefined;
        schedule();
      });
  };
  const rethrow = () => {
    if (failure) throw failure.error;
  };
  const flush = async (): Promise<void> => {
    while (writing || pending.length) {
      if (writing) await writing;
      else if (!failure) startWrite();
      rethrow();
    }
    rethrow();
  };

  const sink: ProgressSink = {
    message: async (level, text, data) => {
      await flush();
      await appendJobEvent(deps, job, {
        level,
        message: text,
        data: data ?? null,
        dedupeKey: `runner:${job.attempt ?? 1}:${text}`,
      });
    },
    metrics: async (m) => {
      rethrow();
      history.push(m);
      pending.push(m);
      if (writing && pending.length >= MAX_PENDING) await writing;
      rethrow();
      schedule();
    },
    checkpoint: async (c) => {
      await flush();
      await deps.stores.checkpoints.put({
        id: `ftckpt-${job.id.replace(/^ftjob-/, '')}-${c.id}`,
        jobId: job.id,
        tenantId: job.tenantId,
        createdAt: Math.floor(deps.clock.nowMs() / 1000),
        stepNumber: c.step,
        metrics: c.metrics,
        fineTunedModelCheckpoint: `${opts.modelId}:ckpt-step-${c.step}`,
        blobPrefix: `checkpoints/${job.id}/${c.id}/`,
      });
      // The manager keeps the best k; records of the checkpoints it removed go too, so the API
      // never lists a checkpoint whose files are gone.
      const live = new Set((await opts.checkpointer.manifests()).map((m) => m.id));
      const records = await deps.stores.checkpoints.list(job.id, { limit: 100 });
      for (const r of records.items) {
        const id = r.blobPrefix.split('/').filter(Boolean).at(-1);
        if (id && !live.has(id)) await deps.stores.checkpoints.delete(job.id, r.id);
      }
    },
  };
  return {
    sink,
    history,
    get stopRequested() {
      return stopRequested;
    },
    flush,
  };
}
