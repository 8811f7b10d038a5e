/**
 * A background worker's loop (the webhook delivery worker, the sweep controller): runs a pass on a
 * timer and on demand, never two at once. A kick during a pass schedules exactly one more pass
 * after it, so work that arrives mid-pass is never left waiting for the timer; a pass that throws
 * is reported and the loop goes on.
 *
 * With `idleMaxMs`, a loop with nothing to do polls less: each timer pass that reports it found
 * nothing (resolves `false`) doubles the wait before the next, up to `idleMaxMs`; a kick or a pass
 * that found work brings it back to `intervalMs`. Idle polling is not free where the store shares
 * the machine (the embedded stack polled its table ~6 times a second with nothing to do, CPU a
 * training job on the same cores pays for); work that arrives through a kick is not delayed.
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
  /** The longest wait between timer passes once passes find nothing (default: `intervalMs`). */
  idleMaxMs?: number;
  /** Called on each tick of the timer, before its pass is asked for. */
  onTimer?: () => void;
  onError?: (err: unknown) => void;
}

/**
 * Starts the loop: a first pass at once, then one per `intervalMs` (longer while idle, see above)
 * and one per kick. A pass resolves `false` when it found nothing to do.
 */
export function startWorkerLoop(pass: () => Promise<boolean | void>, opts: WorkerLoopOptions): WorkerLoop {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let delay = opts.intervalMs;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function arm(): void {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(() => {
      opts.onTimer?.();
      run();
    }, delay);
    timer.unref();
  }

  function run(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      let found = false;
      do {
        again = false;
        try {
          if ((await pass()) !== false) found = true;
        } catch (err) {
          found = true;
          opts.onError?.(err);
        }
      } while (again && !stopped);
      delay = found ? opts.intervalMs : Math.max(opts.intervalMs, Math.min(delay * 2, opts.idleMaxMs ?? 0));
    })().finally(() => {
      running = null;
      arm();
    });
  }

  function kick(): void {
    delay = opts.intervalMs;
    run();
  }

  kick();

  return {
    kick,
    async idle() {
      while (running) await running;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      while (running) await running;
    },
  };
}
