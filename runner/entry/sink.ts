/**
 * The trainer's progress, written to the job: messages become job events, metrics become metrics
 * events plus the job's progress, checkpoints become checkpoint records (and the records of the
 * checkpoints the manager pruned go). A cancel or pause seen while writing progress raises
 * `stopRequested`, which the trainer polls between steps.
 *
 * Metrics are written behind the training: a report's two writes (its event, the job's progress)
 * cost two round trips to the table, which blocked the next step when they were awaited in line.
 * One report is in flight at most; the next waits for it, and so does everything else written
 * (messages, checkpoints), so the job's events keep their order. A failed write surfaces at the
 * sink's next call or at `flush`.
 */
import { ConflictError } from '../../functions/errors';
import { appendJobEvent, recordMetrics } from '../../functions/domain/lifecycle';
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
  /** Waits for the metrics still being written; throws if a write failed. */
  flush(): Promise<void>;
}

export function jobSink(
  deps: JobDeps,
  started: JobRecord,
  opts: { checkpointer: CheckpointManager; modelId: string },
): JobSink {
  // The newest record read or written: progress updates are conditional on its version.
  let job = started;
  const history: MetricsReport[] = [];
  let stopRequested = false;
  let writing: Promise<void> = Promise.resolve();

  const writeMetrics = async (m: MetricsReport): Promise<void> => {
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
  };
  const flush = () => writing;

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
      history.push(m);
      const previous = writing;
      writing = previous.then(() => writeMetrics(m));
      // Handled here so a failure waits for the next call or flush instead of ending the process.
      writing.catch(() => {});
      await previous;
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
