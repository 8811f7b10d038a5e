/**
 * Runs the engine on a timer and on demand (the local stack kicks it after outbox writes), never
 * two runs at once: a kick during a run schedules exactly one more run after it.
 */
import type { ProcessSummary, WebhookEngine } from './engine';

export interface WebhookWorker {
  /** Ask for a run as soon as possible. */
  kick(): void;
  /** Resolves when the current run (if any) is over. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export function startWebhookWorker(
  engine: Pick<WebhookEngine, 'processDue'>,
  opts: { intervalMs?: number; onError?: (err: unknown) => void; onRun?: (s: ProcessSummary) => void } = {},
): WebhookWorker {
  const intervalMs = opts.intervalMs ?? 1000;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  function run(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          const summary = await engine.processDue();
          opts.onRun?.(summary);
        } catch (err) {
          opts.onError?.(err);
        }
      } while (again && !stopped);
    })().finally(() => {
      running = null;
    });
  }

  const timer = setInterval(run, intervalMs);
  timer.unref();
  run();

  return {
    kick: run,
    async idle() {
      while (running) await running;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (running) await running;
    },
  };
}
