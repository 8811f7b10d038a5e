/**
 * Executes one eval run: background work, like a training job, run by the local worker on the
 * embedded stack and by the runner container on AWS Batch. Stateless between batches: everything
 * lives in the store, so any process can pick a run up after a crash or restart.
 *
 * One executor at a time holds a run (a lease: a conditional write on the run's version, renewed
 * with every batch; a holder that dies loses it when it runs out). Rows are graded in batches; each
 * row's output item is put-if-absent under an id derived from the run and row, and the run's counts
 * and resume point move forward in one conditional write after each batch. A resumed run starts at
 * the resume point and, for rows graded after it (a crash before the batch's write), reads the
 * stored item instead of grading again — no row is graded twice, no count is off.
 *
 * Cancel is a status write by the API; the next batch's conditional write fails on it and the
 * executor stops there.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../../../errors';
import type { BlobStore } from '../../../ports/blobs';
import type { EvalRunRecord, ModelUsageRecord, OutputItemRecord } from '../../../ports/evals';
import type { ModelSampler } from '../../../ports/sampler';
import type { FileStore } from '../../../ports/store';
import { buildCriteria, checkItemSchema } from '../definition';
import { mergeUsage } from '../graders';
import { gradeRow, type Row } from './output-items';
import { runRows } from './rows';
import { transitionRun, putRunFollowUps, type RunLifecycleDeps } from './transition-run';
import { isTerminalRun } from './transitions';

export interface ExecutorSettings {
  /** How long a holder may go without a write before another executor may take the run. */
  leaseMs: number;
  /** Rows per progress write. */
  batchSize: number;
  /** Rows sampled and graded at once within a batch. */
  concurrency: number;
}

export const DEFAULT_EXECUTOR_SETTINGS: ExecutorSettings = { leaseMs: 60_000, batchSize: 16, concurrency: 4 };

export interface ExecutorDeps extends RunLifecycleDeps {
  stores: RunLifecycleDeps['stores'] & { files: FileStore };
  blobs: BlobStore;
  sampler?: ModelSampler;
  settings?: Partial<ExecutorSettings>;
  /** Identifies this executor in leases; a random id by default (the embedded stack passes a fixed one). */
  owner?: string;
  log?: (message: string, detail?: Record<string, unknown>) => void;
}

export type ExecuteOutcome = 'missing' | 'busy' | 'completed' | 'failed' | 'canceled' | 'stopped' | 'final';

const settingsOf = (deps: ExecutorDeps): ExecutorSettings => ({
  ...DEFAULT_EXECUTOR_SETTINGS,
  ...deps.settings,
});

/** Thrown inside the loop when the run changed under the executor (cancelled, lease taken). */
class RunMoved extends Error {}

async function acquire(
  deps: ExecutorDeps,
  runId: string,
  owner: string,
): Promise<EvalRunRecord | 'missing' | 'busy' | 'final'> {
  for (let i = 0; i < 5; i++) {
    const run = await deps.evals.getRunById(runId);
    if (!run) return 'missing';
    if (isTerminalRun(run.status)) {
      await putRunFollowUps(deps, run);
      return 'final';
    }
    const now = deps.clock.nowMs();
    if (run.lease && run.lease.owner !== owner && run.lease.untilMs > now) return 'busy';
    try {
      return await deps.evals.updateRun(
        runId,
        { version: run.version, status: run.status },
        { lease: { owner, untilMs: now + settingsOf(deps).leaseMs } },
      );
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  return 'busy';
}

function tally(
  item: OutputItemRecord,
  acc: {
    counts: EvalRunRecord['counts'];
    perCriteria: EvalRunRecord['perCriteria'];
    usage: Record<string, ModelUsageRecord>;
  },
) {
  acc.counts = {
    total: acc.counts.total + 1,
    passed: acc.counts.passed + (item.status === 'pass' ? 1 : 0),
    failed: acc.counts.failed + (item.status === 'fail' ? 1 : 0),
    errored: acc.counts.errored + (item.status === 'error' ? 1 : 0),
  };
  acc.perCriteria = acc.perCriteria.map((c, i) => {
    const r = item.results[i];
    if (!r) return { ...c, failed: c.failed + 1 };
    return r.passed ? { ...c, passed: c.passed + 1 } : { ...c, failed: c.failed + 1 };
  });
  acc.usage = mergeUsage(acc.usage, item.usageByModel ?? {});
}

/** Runs `fn` over `items` with at most `limit` at once, keeping their order in the result. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Executes run `runId` until it is final, the signal asks it to stop (it then releases the run for
 * another executor, keeping everything graded so far), or it loses the run.
 */
export async function executeRun(
  deps: ExecutorDeps,
  runId: string,
  opts: { signal?: AbortSignal } = {},
): Promise<ExecuteOutcome> {
  const owner = deps.owner ?? `executor-${randomUUID()}`;
  const settings = settingsOf(deps);
  const got = await acquire(deps, runId, owner);
  if (typeof got === 'string') return got;
  let run = got;

  const write = async (patch: Parameters<typeof deps.evals.updateRun>[2]) => {
    try {
      run = await deps.evals.updateRun(run.id, { version: run.version, status: 'in_progress' }, patch);
    } catch (err) {
      if (err instanceof ConflictError) throw new RunMoved();
      throw err;
    }
  };

  try {
    if (run.status === 'queued')
      run = (await transitionRun(deps, run.id, 'in_progress', { expectedStatus: 'queued' })).run;
    const e = await deps.evals.getEval(run.tenantId, run.evalId);
    if (!e) {
      await transitionRun(deps, run.id, 'failed', {
        patch: { error: { code: 'eval_deleted', message: 'The eval was deleted.' } },
      });
      return 'failed';
    }
    const validator = checkItemSchema(e.itemSchema, 'data_source_config.item_schema');
    const graders = buildCriteria(e.testingCriteria, e.itemSchema);
    const ds = run.dataSource;

    const acc = { counts: run.counts, perCriteria: run.perCriteria, usage: run.usage };
    let batch: Row[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const rows = batch;
      batch = [];
      const nowS = Math.floor(deps.clock.nowMs() / 1000);
      const items = await mapLimited(rows, settings.concurrency, async (row) => {
        const existing = await deps.evals.getOutputItem(run.id, row.index);
        if (existing) return existing;
        const graded = await gradeRow(
          {
            tenantId: run.tenantId,
            runId: run.id,
            evalId: run.evalId,
            graders,
            sampler: deps.sampler,
            nowS,
            signal: opts.signal,
          },
          ds,
          row,
        );
        return deps.evals.putOutputItemIfAbsent(graded.item);
      });
      for (const item of items) tally(item, acc);
      await write({
        nextIndex: rows[rows.length - 1].index + 1,
        counts: acc.counts,
        perCriteria: acc.perCriteria,
        usage: acc.usage,
        lease: { owner, untilMs: deps.clock.nowMs() + settings.leaseMs },
      });
    };

    let rowCount = run.nextIndex;
    for await (const row of runRows(deps, run.tenantId, ds, validator, run.nextIndex)) {
      batch.push(row);
      rowCount = row.index + 1;
      if (batch.length >= settings.batchSize) {
        await flush();
        if (opts.signal?.aborted) {
          await write({ lease: null });
          return 'stopped';
        }
      }
    }
    await flush();
    await write({ rowCount });
    const done = await transitionRun(deps, run.id, 'completed', { expectedStatus: 'in_progress' });
    return done.run.status === 'completed' ? 'completed' : 'final';
  } catch (err) {
    if (err instanceof RunMoved) {
      const fresh = await deps.evals.getRunById(runId);
      return fresh && isTerminalRun(fresh.status)
        ? fresh.status === 'canceled'
          ? 'canceled'
          : 'final'
        : 'stopped';
    }
    if (err instanceof ConflictError) return 'stopped';
    if (opts.signal?.aborted) {
      // Stopped mid-batch: nothing of the batch was counted; the next executor resumes at nextIndex.
      await deps.evals.updateRun(runId, { version: run.version }, { lease: null }).catch(() => undefined);
      return 'stopped';
    }
    deps.log?.('eval run failed', { runId, error: (err as Error).message });
    try {
      await transitionRun(deps, runId, 'failed', {
        patch: {
          error: { code: (err as { code?: string }).code ?? 'run_failed', message: (err as Error).message },
        },
      });
    } catch (e2) {
      if (!(e2 instanceof ConflictError)) throw e2;
    }
    return 'failed';
  }
}
