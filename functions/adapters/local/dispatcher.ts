/**
 * The embedded default's dispatcher: each job runs the runner's container entry as a child
 * process on this machine, at most `maxConcurrent` at a time; the rest wait in a FIFO.
 *
 * The child reports progress and its final status through the same store the API reads, exactly
 * as the GPU container does. This adapter only starts and stops processes and tells the caller
 * how each one ended; what that means for the job (retry, fail) is `onExit`'s business, which
 * the composition root wires to the domain.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { JobRecord } from '../../domain/records';
import type { Dispatcher, RunnerExit } from '../../ports/dispatcher';

export interface LocalDispatcherConfig {
  /** The command that runs one job, e.g. [node, --import, tsx, runner/entry/job.ts]. */
  command: string[];
  /** Environment for the child (store endpoints, table, bucket); TUNEPLANE_JOB_ID is added. */
  env: Record<string, string>;
  maxConcurrent: number;
  /** Time the runner gets after SIGTERM to save a checkpoint before SIGKILL. */
  stopGraceMs: number;
  cwd?: string;
  onExit(exit: RunnerExit): void | Promise<void>;
  /** Child output goes here (the local stack logs it with the job id). */
  onOutput?(jobId: string, stream: 'stdout' | 'stderr', chunk: string): void;
}

interface Running {
  child: ChildProcess;
  stoppedFor: RunnerExit['stoppedFor'];
  stderr: string[];
  exited: Promise<void>;
}

export interface LocalDispatcher extends Dispatcher {
  /** Jobs with a live process, and jobs waiting for a slot. */
  status(): { running: string[]; waiting: string[] };
  /** Stops every child (SIGTERM, then SIGKILL after the grace period) and waits for them. */
  shutdown(): Promise<void>;
}

export function localDispatcher(cfg: LocalDispatcherConfig): LocalDispatcher {
  const running = new Map<string, Running>();
  const waiting: string[] = [];
  let closed = false;

  function start(jobId: string): void {
    const [cmd, ...args] = cfg.command;
    const child = spawn(cmd, args, {
      cwd: cfg.cwd,
      env: { ...process.env, ...cfg.env, TUNEPLANE_JOB_ID: jobId },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const entry: Running = { child, stoppedFor: null, stderr: [], exited: Promise.resolve() };
    child.stdout?.setEncoding('utf8').on('data', (c: string) => cfg.onOutput?.(jobId, 'stdout', c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      entry.stderr.push(c);
      if (entry.stderr.length > 50) entry.stderr.shift();
      cfg.onOutput?.(jobId, 'stderr', c);
    });
    entry.exited = new Promise<void>((resolve) => {
      child.on('error', (err) => {
        entry.stderr.push(`spawn failed: ${err.message}`);
      });
      child.on('close', (code, signal) => {
        running.delete(jobId);
        const exit: RunnerExit = {
          jobId,
          code,
          signal,
          stoppedFor: entry.stoppedFor,
          stderrTail: entry.stderr.join('').split('\n').slice(-20).join('\n').trim(),
        };
        Promise.resolve()
          .then(() => cfg.onExit(exit))
          .catch((err) => cfg.onOutput?.(jobId, 'stderr', `onExit failed: ${(err as Error).message}\n`))
          .finally(() => {
            resolve();
            pump();
          });
      });
    });
    running.set(jobId, entry);
  }

  function pump(): void {
    while (!closed && running.size < cfg.maxConcurrent && waiting.length > 0) {
      start(waiting.shift()!);
    }
  }

  function stop(jobId: string, why: NonNullable<RunnerExit['stoppedFor']>): Promise<void> {
    const i = waiting.indexOf(jobId);
    if (i >= 0) waiting.splice(i, 1);
    const entry = running.get(jobId);
    if (!entry) return Promise.resolve();
    entry.stoppedFor = why;
    entry.child.kill('SIGTERM');
    const timer = setTimeout(() => entry.child.kill('SIGKILL'), cfg.stopGraceMs);
    return entry.exited.finally(() => clearTimeout(timer));
  }

  function enqueue(job: JobRecord): { providerJobId: string } {
    // Idempotent: a job already running or waiting is not started twice.
    if (!running.has(job.id) && !waiting.includes(job.id)) {
      waiting.push(job.id);
      pump();
    }
    return { providerJobId: `local:${job.id}` };
  }

  return {
    async submit(job) {
      return enqueue(job);
    },
    async cancel(job) {
      await stop(job.id, 'cancel');
    },
    async pause(job) {
      await stop(job.id, 'pause');
    },
    async resume(job) {
      return enqueue(job);
    },
    status: () => ({ running: [...running.keys()], waiting: [...waiting] }),
    async shutdown() {
      closed = true;
      waiting.length = 0;
      await Promise.all([...running.keys()].map((id) => stop(id, 'shutdown')));
    },
  };
}
