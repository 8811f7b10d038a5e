/**
 * The job status transition table: the one place that says which status may follow which.
 *
 *   validating_files ─▶ queued ─▶ running ⇄ paused
 *          │              │         │         │
 *          └──────────────┴─────────┴─────────┴──▶ succeeded | failed | cancelled   (terminal)
 *
 * Decisions (following OpenAI's pause/resume semantics):
 *  - `cancelled` and `failed` are reachable from every non-terminal status.
 *  - `succeeded` only from `running` (a job must have trained to succeed).
 *  - Pause only from `running` (OpenAI: "pause a running job"). Resume goes back to `running`
 *    when the provider continues the same attempt, or to `queued` when the job must be
 *    dispatched again (e.g. the local runner was stopped and resumes from its checkpoint).
 *  - Nothing goes back to `validating_files`, and `running → queued` is NOT allowed: AWS Batch
 *    re-queues retried attempts (RUNNABLE after RUNNING), but its events arrive unordered, so
 *    honouring that edge would let a late RUNNABLE event move a running job backwards. A job
 *    stays `running` across provider retries.
 *  - No status transitions to itself; a repeated transition is answered idempotently by
 *    `transitionJob`, not by this table.
 *  - Terminal means terminal, also for `resume` (RESUME below). A failed job whose checkpoints
 *    exist is resumed as a NEW job that continues from the newest checkpoint; the failed job keeps
 *    its status, `error` and `finished_at`. Not `failed → queued`: OpenAI's clients treat `failed`
 *    as final (they stop polling, record the failure, and got the job's one completion webhook),
 *    the ids of terminal follow-ups (`<job>:failed` outbox entries) assume a terminal status is
 *    reached once, and every late or duplicated report relies on no edge leaving a terminal status.
 *    Continuing in a new job is also what OpenAI offers after a failure: fine-tune from a checkpoint.
 */
import { JOB_STATUSES, TERMINAL_JOB_STATUSES, isTerminalJobStatus } from '../../../openapi/enums';
import type { JobStatus } from '../records';

/** The statuses and the terminal set are the contract's (openapi/enums.ts); the edges are this table's. */
export { JOB_STATUSES };
export const TERMINAL_STATUSES = TERMINAL_JOB_STATUSES;

const NEXT: Record<JobStatus, readonly JobStatus[]> = {
  validating_files: ['queued', 'failed', 'cancelled'],
  queued: ['running', 'failed', 'cancelled'],
  running: ['paused', 'succeeded', 'failed', 'cancelled'],
  paused: ['running', 'queued', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export function isTerminal(status: JobStatus): boolean {
  return isTerminalJobStatus(status);
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return NEXT[from].includes(to);
}

/** The statuses `from` may move to (for error messages and docs). */
export function nextStatuses(from: JobStatus): readonly JobStatus[] {
  return NEXT[from];
}

/**
 * What `POST …/resume` does in each status: `requeue` moves the same job back to `queued` (the
 * runner continues from its newest checkpoint); `continue_as_new_job` leaves the job as it is and
 * creates a new one that starts from its newest checkpoint (only when one exists); null refuses.
 */
export type ResumeMode = 'requeue' | 'continue_as_new_job' | null;

const RESUME: Record<JobStatus, ResumeMode> = {
  validating_files: null,
  queued: null,
  running: null,
  paused: 'requeue',
  succeeded: null,
  failed: 'continue_as_new_job',
  cancelled: null,
};

export function resumeMode(status: JobStatus): ResumeMode {
  return RESUME[status];
}
