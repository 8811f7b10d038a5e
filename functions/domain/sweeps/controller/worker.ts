/**
 * Runs controller passes on a timer (every active sweep) and on demand (one sweep, after a trial
 * event or an API call), never two runs at once: kicks during a run are served right after it.
 */
import { advanceSweep, type AdvanceOutcome } from './advance';
import type { ControllerDeps } from './deps';

export interface SweepWorker {
  /** Advance this sweep (or, without an id, every active sweep) as soon as possible. */
  kick(sweepId?: string): void;
  /** A trial's job changed (metrics, status): advance its sweep, if it has one. */
  onJobEvent(jobId: string): void;
  /** Resolves when no run is in progress or queued. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** One pass over every running or paused sweep (the periodic tick; also the scheduled Lambda's body). */
export async function tickSweeps(deps: ControllerDeps, limit = 100): Promise<Record<string, AdvanceOutcome>> {
  const out: Record<string, AdvanceOutcome> = {};
  for (const sweep of await deps.sweeps.listActive(limit)) out[sweep.id] = await advanceSweep(deps, sweep.id);
  return out;
}

export function startSweepWorker(
  deps: ControllerDeps,
  opts: { intervalMs?: number; onError?: (err: unknown) => void } = {},
): SweepWorker {
  const intervalMs = opts.intervalMs ?? 5000;
  const pending = new Set<string>();
  let all = true;
  let running: Promise<void> | null = null;
  let stopped = false;

  async function drain(): Promise<void> {
    while (!stopped && (all || pending.size > 0)) {
      const ids = [...pending];
      const everyone = all;
      pending.clear();
      all = false;
      try {
        if (everyone) await tickSweeps(deps);
        else for (const id of ids) await advanceSweep(deps, id);
      } catch (err) {
        opts.onError?.(err);
      }
    }
  }

  function run(): void {
    if (stopped || running) return;
    running = drain().finally(() => {
      running = null;
      if (!stopped && (all || pending.size > 0)) run();
    });
  }

  const timer = setInterval(() => {
    all = true;
    run();
  }, intervalMs);
  timer.unref();
  run();

  return {
    kick(sweepId) {
      if (sweepId) pending.add(sweepId);
      else all = true;
      run();
    },
    onJobEvent(jobId) {
      void deps.stores.jobs
        .getById(jobId)
        .then((job) => {
          if (job?.sweepId) {
            pending.add(job.sweepId);
            run();
          }
        })
        .catch((err) => opts.onError?.(err));
    },
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
