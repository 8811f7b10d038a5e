/**
 * Handing queued runs to an executor that runs elsewhere (AWS Batch). A submission that fails
 * leaves the run queued without a provider job id; the reconciler submits such runs again. A run
 * submitted twice is harmless: the second executor finds it held (or final) and exits.
 */
import { ConflictError } from '../../../errors';
import type { Clock } from '../../../ports/clock';
import type { EvalRunRecord, EvalStore } from '../../../ports/evals';
import { transitionRun, type RunLifecycleDeps } from './transition-run';
import { isTerminalRun } from './transitions';

export type SubmitEvalRun = (run: EvalRunRecord) => Promise<{ providerJobId: string }>;

export interface RunDispatchDeps {
  evals: EvalStore;
  clock: Clock;
  log?: (message: string, detail?: Record<string, unknown>) => void;
}

export async function submitQueuedRun(
  deps: RunDispatchDeps,
  run: EvalRunRecord,
  submit: SubmitEvalRun,
): Promise<void> {
  try {
    const { providerJobId } = await submit(run);
    const fresh = await deps.evals.getRunById(run.id);
    if (fresh && !fresh.providerJobId)
      await deps.evals.updateRun(run.id, { version: fresh.version }, { providerJobId }).catch((err) => {
        if (!(err instanceof ConflictError)) throw err;
      });
  } catch (err) {
    deps.log?.('eval run submission failed; the reconciler submits it again', {
      runId: run.id,
      error: (err as Error).message,
    });
  }
}

/**
 * A cancelled run's Batch job is stopped, so a job still waiting for a GPU never starts (it would
 * only find the run cancelled and exit). The run is cancelled whatever Batch answers: a failed call
 * is logged, and a job that starts anyway exits at once.
 */
export async function stopCanceledRun(
  deps: Pick<RunDispatchDeps, 'log'>,
  run: EvalRunRecord,
  stop: (run: { id: string; providerJobId: string }) => Promise<void>,
): Promise<void> {
  if (!run.providerJobId) return;
  try {
    await stop({ id: run.id, providerJobId: run.providerJobId });
  } catch (err) {
    deps.log?.("stopping a cancelled eval run's Batch job failed; it exits when it starts", {
      runId: run.id,
      error: (err as Error).message,
    });
  }
}

/** Queued runs never submitted (an outage at creation), older than `afterMs`: submitted again. */
export async function submitLostRuns(
  deps: RunDispatchDeps,
  submit: SubmitEvalRun,
  opts: { afterMs: number; limit?: number },
): Promise<string[]> {
  const now = deps.clock.nowMs();
  const lost = (await deps.evals.listActiveRuns(opts.limit ?? 100)).filter(
    (r) => r.status === 'queued' && !r.providerJobId && now - r.createdAt * 1000 >= opts.afterMs,
  );
  for (const run of lost) await submitQueuedRun(deps, run, submit);
  return lost.map((r) => r.id);
}

/** The part of a Batch job's state (event or DescribeJobs) that concerns an eval run. */
export interface EvalBatchState {
  jobId?: string;
  status?: string;
  statusReason?: string;
  tags?: Record<string, string>;
  attempts?: { statusReason?: string; container?: { exitCode?: number; reason?: string } }[];
  container?: { environment?: { name?: string; value?: string }[]; exitCode?: number; reason?: string };
}

/** The eval run a Batch job executes (its tag, or the environment the submission gave it). */
export function evalRunIdOf(detail: EvalBatchState): string | undefined {
  return (
    detail.tags?.['tuneplane:eval-run'] ??
    detail.container?.environment?.find((e) => e.name === 'TUNEPLANE_EVAL_RUN_ID')?.value ??
    undefined
  );
}

export type EvalBatchOutcome = 'ignored' | 'failed';

/**
 * Batch gave up on the run's container (FAILED after its retries: crashes, or exit 1 each time):
 * the executor never reached a final status, so the run would stay in progress with nobody to
 * finish it. It fails here, with Batch's reason; rows graded so far stay. A job that ended any
 * other way wrote the run's status itself.
 */
export async function handleEvalBatchState(
  deps: RunLifecycleDeps,
  detail: EvalBatchState,
): Promise<EvalBatchOutcome> {
  const runId = evalRunIdOf(detail);
  if (!runId || detail.status !== 'FAILED') return 'ignored';
  const run = await deps.evals.getRunById(runId);
  if (!run || isTerminalRun(run.status)) return 'ignored';
  // A later submission of the same run (the reconciler's) is the one that counts.
  if (run.providerJobId && detail.jobId && run.providerJobId !== detail.jobId) return 'ignored';
  const last = detail.attempts?.at(-1);
  const exit = last?.container?.exitCode ?? detail.container?.exitCode;
  const parts = [
    detail.statusReason,
    last?.statusReason,
    last?.container?.reason ?? detail.container?.reason,
    exit !== undefined ? `exit code ${exit}` : undefined,
  ];
  const reason = [...new Set(parts.filter((p): p is string => !!p))].join('; ');
  try {
    await transitionRun(deps, run.id, 'failed', {
      patch: {
        error: {
          code: 'runner_failed',
          message: `The eval runner on AWS Batch failed${reason ? `: ${reason}` : ''}.`,
        },
      },
    });
  } catch (err) {
    if (err instanceof ConflictError) return 'ignored';
    throw err;
  }
  return 'failed';
}

/**
 * The reconciler's pass over eval runs on Batch: queued runs whose submission was lost are
 * submitted again, and runs whose Batch job failed while the state event was lost are failed (the
 * same decision the event would have made).
 */
export async function reconcileEvalRuns(
  deps: RunLifecycleDeps,
  batch: { submit: SubmitEvalRun; describe(ids: string[]): Promise<EvalBatchState[]> },
  opts: { submitRetryAfterMs: number; limit?: number },
): Promise<{ resubmitted: string[]; failed: string[] }> {
  const resubmitted = await submitLostRuns(deps, batch.submit, {
    afterMs: opts.submitRetryAfterMs,
    limit: opts.limit,
  });
  const submitted = (await deps.evals.listActiveRuns(opts.limit ?? 100)).filter((r) => r.providerJobId);
  const failed: string[] = [];
  if (submitted.length) {
    for (const detail of await batch.describe(submitted.map((r) => r.providerJobId!)))
      if ((await handleEvalBatchState(deps, detail)) === 'failed') failed.push(evalRunIdOf(detail)!);
  }
  return { resubmitted, failed };
}
