/**
 * Runs the engine on a timer and on demand (the local stack kicks it after outbox writes), never
 * two runs at once: a kick during a run schedules exactly one more run after it.
 */
import { startWorkerLoop, type WorkerLoop } from '../worker-loop';
import type { ProcessSummary, WebhookEngine } from './engine';

export type WebhookWorker = WorkerLoop;

export function startWebhookWorker(
  engine: Pick<WebhookEngine, 'processDue'>,
  opts: {
    intervalMs?: number;
    /** Poll less while there is nothing to deliver, down to once per this (see worker-loop). */
    idleMaxMs?: number;
    onError?: (err: unknown) => void;
    onRun?: (s: ProcessSummary) => void;
  } = {},
): WebhookWorker {
  const pass = async () => {
    const summary = await engine.processDue();
    opts.onRun?.(summary);
    return summary.outboxProcessed + summary.deliveriesCreated + summary.attempts > 0;
  };
  return startWorkerLoop(pass, {
    intervalMs: opts.intervalMs ?? 1000,
    idleMaxMs: opts.idleMaxMs,
    onError: opts.onError,
  });
}
