/**
 * Runs controller passes on a timer (every active sweep) and on demand (one sweep, after a trial
 * event or an API call), never two runs at once: kicks during a run are served right after it.
 */
import { startWorkerLoop } from '../../worker-loop';
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
  opts: {
    intervalMs?: number;
    /** Poll less while no sweep is active, down to once per this (see worker-loop). */
    idleMaxMs?: number;
    onError?: (err: unknown) => void;
  } = {},
): SweepWorker {
  // What the next pass does: every active sweep (at start and on each tick), or the sweeps asked for.
  const pending = new Set<string>();
  let all = true;
  const loop = startWorkerLoop(
    async () => {
      const ids = [...pending];
      const everyone = all;
      pending.clear();
      all = false;
      if (everyone) return Object.keys(await tickSweeps(deps)).length > 0;
      for (const id of ids) await advanceSweep(deps, id);
      return true;
    },
    {
      intervalMs: opts.intervalMs ?? 5000,
      idleMaxMs: opts.idleMaxMs,
      onTimer: () => (all = true),
      onError: opts.onError,
    },
  );

  return {
    kick(sweepId) {
      if (sweepId) pending.add(sweepId);
      else all = true;
      loop.kick();
    },
    onJobEvent(jobId) {
      void deps.stores.jobs
        .getById(jobId)
        .then((job) => {
          if (job?.sweepId) {
            pending.add(job.sweepId);
            loop.kick();
          }
        })
        .catch((err) => opts.onError?.(err));
    },
    idle: () => loop.idle(),
    stop: () => loop.stop(),
  };
}
