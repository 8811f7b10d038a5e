/**
 * What the end of a local runner process means for its job, and what to do with local jobs
 * that were left behind when the service stopped.
 *
 * The runner writes its own final status before it exits; these functions only handle the
 * cases where it could not: it was interrupted (RUNNER_EXIT.retryable, or killed), it crashed, or
 * the whole service went down under it.
 */
import { RUNNER_EXIT } from '../../../openapi/runner';
import { ConflictError } from '../../errors';
import type { RunnerExit } from '../../ports/dispatcher';
import type { JobRecord } from '../records';
import { appendJobEvent, isTerminal, transitionJob } from '../lifecycle';
import { resumeStep, type DispatchDeps } from './deps';

export type { RunnerExit };

export type ExitOutcome = 'ignored' | 'retried' | 'failed';

/**
 * When an interrupted job is given up. Only attempts that saved no new checkpoint count: a job that
 * keeps making progress between interruptions (Spot reclaims, a laptop put to sleep) is not failed
 * for them, while one that dies before its first checkpoint again and again (a crash loop, a kill
 * during start-up) is. The wall-time bound ends a job that progresses but never finishes.
 */
export interface ExitPolicy {
  /** Interruptions in a row without a new checkpoint, the last included, that fail the job. */
  maxAttempts: number;
  /** Since the job first ran: an interruption after this long fails it, however far it got. */
  maxWallMs: number;
}

async function fail(deps: DispatchDeps, job: JobRecord, code: string, message: string): Promise<ExitOutcome> {
  try {
    await transitionJob(deps, job.id, 'failed', {
      reason: `The job failed: ${message}`,
      patch: { error: { code, message, param: null } },
    });
    return 'failed';
  } catch (err) {
    if (err instanceof ConflictError) return 'ignored';
    throw err;
  }
}

/** The last non-empty line of the runner's stderr: usually the error it died of. */
function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1)?.slice(0, 500) ?? '';
}

export async function onRunnerExit(
  deps: DispatchDeps,
  exit: RunnerExit,
  resubmit: (job: JobRecord) => Promise<unknown>,
  policy: ExitPolicy,
): Promise<ExitOutcome> {
  const job = await deps.stores.jobs.getById(exit.jobId);
  if (!job || isTerminal(job.status)) return 'ignored';
  // We stopped it: cancel and pause already wrote their status; a shutdown is picked up on restart.
  // A paused job has no process by design: its runner may see the pause and exit (done or retryable)
  // before our SIGTERM reaches it, and that exit must neither fail nor restart the job.
  if (exit.stoppedFor || job.status === 'paused') return 'ignored';
  if (exit.code === RUNNER_EXIT.done) {
    return fail(deps, job, 'runner_no_result', 'the training process exited without reporting a result');
  }
  const interrupted =
    exit.code === RUNNER_EXIT.retryable || exit.signal === 'SIGKILL' || exit.signal === 'SIGTERM';
  if (!interrupted) {
    const why =
      lastLine(exit.stderrTail) || `exit code ${exit.code}${exit.signal ? `, signal ${exit.signal}` : ''}`;
    return fail(deps, job, 'runner_failed', why);
  }
  const step = await resumeStep(deps, job.id);
  const progressed = step > (job.interruptedAtStep ?? 0);
  const streak = progressed ? 0 : (job.interruptionStreak ?? 0) + 1;
  const resumable = step > 0 ? ` Resume the job to continue from its checkpoint at step ${step}.` : '';
  if (streak >= policy.maxAttempts) {
    return fail(
      deps,
      job,
      'runner_interrupted',
      `interrupted ${streak} times in a row without a new checkpoint; giving up.${resumable}`,
    );
  }
  const ranMs = job.startedAt ? deps.clock.nowMs() - job.startedAt * 1000 : 0;
  if (ranMs > policy.maxWallMs) {
    const hours = Math.round(policy.maxWallMs / 3_600_000);
    return fail(
      deps,
      job,
      'runner_interrupted',
      `interrupted after running for more than ${hours} h.${resumable}`,
    );
  }
  const attempt = (job.attempt ?? 1) + 1;
  let updated: JobRecord;
  try {
    updated = await deps.stores.jobs.update(
      job.id,
      { version: job.version },
      { attempt, interruptionStreak: streak, interruptedAtStep: step },
    );
  } catch (err) {
    if (err instanceof ConflictError) return 'ignored';
    throw err;
  }
  await appendJobEvent(deps, job, {
    level: 'warn',
    message: `Interrupted (${exit.signal ?? `exit code ${exit.code}`}); resuming from step ${step}`,
    data: { attempt, resume_step: step },
    dedupeKey: `local-interrupted:${attempt}`,
  });
  await resubmit(updated);
  return 'retried';
}

/**
 * After a restart: local jobs that were queued are submitted again, and jobs that were running
 * resume from their newest checkpoint (the runner finds it), with an event saying so. None is
 * left `running` with no process behind it.
 */
export async function recoverLocalJobs(
  deps: DispatchDeps,
  resubmit: (job: JobRecord) => Promise<unknown>,
  limit = 500,
): Promise<{ resumed: string[]; requeued: string[] }> {
  const jobs = (await deps.stores.jobs.listByStatus(['queued', 'running'], limit)).filter(
    (j) => j.provider === 'local',
  );
  const out = { resumed: [] as string[], requeued: [] as string[] };
  for (const job of jobs) {
    if (job.status === 'running') {
      const step = await resumeStep(deps, job.id);
      await appendJobEvent(deps, job, {
        level: 'warn',
        message: `The service restarted while the job was running; resuming from step ${step}`,
        data: { resume_step: step },
        dedupeKey: `local-restart:${job.version}`,
      });
      out.resumed.push(job.id);
    } else {
      out.requeued.push(job.id);
    }
    await resubmit(job);
  }
  return out;
}
