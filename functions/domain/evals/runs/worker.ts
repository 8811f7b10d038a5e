/**
 * The embedded stack's eval executor: runs queued and in-progress runs in this process, a few at a
 * time, on a timer and when kicked (a run was created). `stop()` asks every executor to stop after
 * its current batch and waits; what they graded stays, and the next start resumes those runs.
 */
import { executeRun, type ExecuteOutcome, type ExecutorDeps } from './execute';

export interface EvalRunWorker {
  kick(runId?: string): void;
  /** Resolves when nothing runs or waits. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export function startEvalRunWorker(
  deps: ExecutorDeps,
  opts: {
    intervalMs?: number;
    concurrency?: number;
    onError?: (err: unknown) => void;
    onDone?: (runId: string, outcome: ExecuteOutcome) => void;
  } = {},
): EvalRunWorker {
  const concurrency = opts.concurrency ?? 2;
  const running = new Map<string, Promise<void>>();
  const waiting = new Set<string>();
  const stopping = new AbortController();
  let scanning: Promise<void> | null = null;
  let stopped = false;

  const start = (runId: string) => {
    if (stopped || running.has(runId)) return;
    if (running.size >= concurrency) {
      waiting.add(runId);
      return;
    }
    waiting.delete(runId);
    const p = executeRun(deps, runId, { signal: stopping.signal })
      .then((outcome) => opts.onDone?.(runId, outcome))
      .catch((err) => opts.onError?.(err))
      .finally(() => {
        running.delete(runId);
        const next = waiting.values().next();
        if (!next.done) start(next.value);
      });
    running.set(runId, p);
  };

  const scan = () => {
    if (stopped || scanning) return;
    scanning = deps.evals
      .listActiveRuns(100)
      .then((runs) => runs.forEach((r) => start(r.id)))
      .catch((err) => opts.onError?.(err))
      .finally(() => {
        scanning = null;
      });
  };

  const timer = setInterval(scan, opts.intervalMs ?? 2000);
  timer.unref();
  scan();

  return {
    kick(runId) {
      if (runId) start(runId);
      else scan();
    },
    async idle() {
      while (scanning || running.size) {
        await scanning;
        await Promise.all(running.values());
      }
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      stopping.abort();
      await scanning;
      await Promise.all(running.values());
    },
  };
}
