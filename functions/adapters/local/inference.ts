/**
 * The embedded stack's Inference port: one worker process (runner/entry/serve.ts, started by path
 * like the local dispatcher starts job.ts, so functions/ never imports the runner) serves every
 * generation over Node's IPC channel. It starts on the first request and keeps its loaded models
 * between requests; if it dies, the requests it held fail with a 503 and the next request starts a
 * new one. An aborted request is passed on, so the worker stops decoding it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { GenerationFailure, GenerationJob, GenerationStreamEvent } from '../../../openapi/inference';
import { InferenceFailure, type Inference } from '../../ports/inference';

export interface LocalInferenceConfig {
  /** The command that runs the worker, e.g. [node, --import, tsx, runner/entry/serve.ts]. */
  command: string[];
  /** Environment for the worker (bucket, S3 endpoint, budgets). */
  env: Record<string, string>;
  cwd?: string;
  onOutput?(stream: 'stdout' | 'stderr', chunk: string): void;
}

type Reply =
  | { type: 'ready' }
  | { type: 'event'; id: string; event: GenerationStreamEvent }
  | { type: 'end'; id: string; failure?: GenerationFailure };

interface Pending {
  onEvent: (e: GenerationStreamEvent) => void;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface LocalInference extends Inference {
  /** Stops the worker (its requests fail) and waits for it to exit. */
  shutdown(): Promise<void>;
  /** The worker's process id, when one runs. */
  readonly pid: number | undefined;
}

const crashed = (detail: string): GenerationFailure => ({
  status: 503,
  code: 'inference_unavailable',
  message: `The inference worker stopped (${detail}); try again.`,
  param: null,
});

export function localInference(cfg: LocalInferenceConfig): LocalInference {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const pending = new Map<string, Pending>();
  let next = 0;

  function worker(): ChildProcess {
    if (child && child.exitCode === null && child.signalCode === null && child.connected) return child;
    const [cmd, ...args] = cfg.command;
    const c = spawn(cmd, args, {
      cwd: cfg.cwd,
      env: { ...process.env, ...cfg.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stderr = '';
    c.stdout?.setEncoding('utf8').on('data', (s: string) => cfg.onOutput?.('stdout', s));
    c.stderr?.setEncoding('utf8').on('data', (s: string) => {
      stderr = (stderr + s).slice(-2000);
      cfg.onOutput?.('stderr', s);
    });
    c.on('message', (m: Reply) => {
      if (m.type === 'ready') return;
      const p = pending.get(m.id);
      if (!p) return;
      if (m.type === 'event') p.onEvent(m.event);
      else {
        pending.delete(m.id);
        if (m.failure) p.reject(new InferenceFailure(m.failure));
        else p.resolve();
      }
    });
    exited = new Promise<void>((resolve) => {
      c.on('error', (err) => {
        stderr += `spawn failed: ${err.message}`;
      });
      c.on('close', (code, signal) => {
        if (child === c) child = undefined;
        const why = crashed(`exit ${code ?? signal}${stderr ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`);
        for (const [id, p] of pending) {
          pending.delete(id);
          p.reject(new InferenceFailure(why));
        }
        resolve();
      });
    });
    child = c;
    return c;
  }

  return {
    get pid() {
      return child?.pid;
    },
    generate(job, onEvent, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return resolve();
        const id = String(++next);
        const c = worker();
        pending.set(id, { onEvent, resolve, reject });
        signal?.addEventListener(
          'abort',
          () => {
            if (!pending.has(id)) return;
            pending.delete(id);
            if (c.connected) c.send({ type: 'abort', id });
            resolve();
          },
          { once: true },
        );
        c.send({ type: 'run', id, job: job satisfies GenerationJob });
      });
    },
    async shutdown() {
      const c = child;
      if (!c) return;
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited.finally(() => clearTimeout(timer));
    },
  };
}
