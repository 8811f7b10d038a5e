/**
 * A background worker's loop (the webhook delivery worker, the sweep controller): runs a pass on a
 * timer and on demand, never two at once. A kick during a pass schedules exactly one more pass
 * after it, so work that arrives mid-pass is never left waiting for the timer; a pass that throws
 * is reported and the loop goes on.
 */
export interface WorkerLoop {
  /** Ask for a pass as soon as possible. */
  kick(): void;
  /** Resolves when no pass is running or queued. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface WorkerLoopOptions {
  intervalMs: number;
  /** Called on each tick of the timer, before its pass is asked for. */
  onTimer?: () => void;
  onError?: (err: unknown) => void;
}

/** Starts the loop: a first pass at once, then one per `intervalMs` and one per kick. */
export function startWorkerLoop(pass: () => Promise<void>, opts: WorkerLoopOptions): WorkerLoop {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await pass();
        } catch (err) {
          opts.onError?.(err);
        }
      } while (again && !stopped);
    })().finally(() => {
      running = null;
    });
  }

  const timer = setInterval(() => {
    opts.onTimer?.();
    kick();
  }, opts.intervalMs);
  timer.unref();
  kick();

  return {
    kick,
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
