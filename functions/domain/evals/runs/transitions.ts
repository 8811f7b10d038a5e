/**
 * The eval run status transition table: the one place that says which status may follow which.
 *
 *   queued ─▶ in_progress ─▶ completed
 *     │           │
 *     └───────────┴──▶ failed | canceled        (completed, failed, canceled are terminal)
 *
 * A restarted executor finds its run still `in_progress` and resumes it (nothing moves back to
 * `queued`); a run completes only after it ran.
 */
import { TERMINAL_EVAL_RUN_STATUSES, type EvalRunStatus } from '../../../../openapi/enums';

const NEXT: Record<EvalRunStatus, readonly EvalRunStatus[]> = {
  queued: ['in_progress', 'failed', 'canceled'],
  in_progress: ['completed', 'failed', 'canceled'],
  completed: [],
  failed: [],
  canceled: [],
};

export function canTransitionRun(from: EvalRunStatus, to: EvalRunStatus): boolean {
  return NEXT[from].includes(to);
}

export function isTerminalRun(status: EvalRunStatus): boolean {
  return TERMINAL_EVAL_RUN_STATUSES.includes(status);
}

export function nextRunStatuses(from: EvalRunStatus): readonly EvalRunStatus[] {
  return NEXT[from];
}

/** The webhook each terminal status sends (OpenAI's event names). */
export const RUN_WEBHOOK_EVENTS: Partial<Record<EvalRunStatus, string>> = {
  completed: 'eval.run.succeeded',
  failed: 'eval.run.failed',
  canceled: 'eval.run.canceled',
};
