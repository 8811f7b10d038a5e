/**
 * The runner's edge for errors (docs/ARCHITECTURE.md, "Errors"): an error that is the user's fault
 * (their data, settings or model) fails the job with a stable code, the field and the reason, and
 * the process exits 0, since a retry cannot help. Anything else (a store out of reach, a bug) fails the
 * process with RUNNER_EXIT.failed, which a retry may fix; the dispatcher records it if none comes.
 */
import { RUNNER_EXIT } from '../../openapi/runner';
import { ApiError, ConflictError } from '../../functions/errors';
import { transitionJob } from '../../functions/domain/lifecycle';
import type { JobError, JobRecord } from '../../functions/domain/records';
import { RunnerError } from '../errors';
import type { JobDeps } from './run-job';

/** The job's `error` when `err` is the user's fault; undefined when it is ours. */
export function jobFailure(err: unknown): JobError | undefined {
  // The trainer's own: bad data (invalid_training_file), settings (invalid_value), model (invalid_model_*, …).
  if (err instanceof RunnerError) return { code: err.code, message: err.message, param: err.param };
  // The service's client errors, met through the stores and the lifecycle rules.
  if (err instanceof ApiError && err.status < 500)
    return { code: err.code, message: err.message, param: err.param };
  // The lifecycle's range checks on what the trainer reports (a metrics step out of range).
  if (err instanceof RangeError) return { code: 'invalid_request', message: err.message, param: null };
  return undefined;
}

/** Logs `err` and fails the job when it is the user's fault; returns the exit code. */
export async function failJob(
  deps: JobDeps,
  job: JobRecord,
  err: unknown,
  log: (line: string) => void,
): Promise<number> {
  const failure = jobFailure(err);
  const e = err as Error;
  log(
    JSON.stringify({ level: 'error', msg: e.message, jobId: job.id, stack: failure ? undefined : e.stack }),
  );
  if (!failure) return RUNNER_EXIT.failed;
  await transitionJob(deps, job.id, 'failed', {
    reason: `The job failed: ${failure.message}`,
    patch: { error: failure, finishedAt: Math.floor(deps.clock.nowMs() / 1000) },
  }).catch((te) => {
    // Cancelled or paused meanwhile: the user's status stands.
    if (!(te instanceof ConflictError)) throw te;
  });
  return RUNNER_EXIT.done;
}
