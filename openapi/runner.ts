/**
 * The runner's contract with whoever starts it (the local dispatcher, AWS Batch's retry strategy):
 * what its exit code means. Non-zero only for failures worth retrying is the rule; 1 is the
 * exception every process has (a bug or a crash before the job could be failed properly).
 */
export const RUNNER_EXIT = {
  /** The job reached a status the runner wrote (succeeded, failed for its data or settings, cancelled, paused). */
  done: 0,
  /** A failure a retry cannot fix, or a crash that left no status behind. */
  failed: 1,
  /** Interrupted (SIGTERM, Spot reclaim) after saving a checkpoint: retry and it resumes (EX_TEMPFAIL, sysexits.h). */
  retryable: 75,
} as const;

export type RunnerExitCode = (typeof RUNNER_EXIT)[keyof typeof RUNNER_EXIT];
