/**
 * Where a queued job goes to run. One adapter per provider (local child process, AWS Batch,
 * OpenAI); the composition root picks by the job's `provider`.
 */
import type { JobRecord } from '../domain/records';

/**
 * How a job's runner process ended, as a dispatcher that starts processes (the local one) reports
 * it; what that means for the job is the domain's call (domain/dispatch/local-runs.ts).
 */
export interface RunnerExit {
  jobId: string;
  /** The exit code (openapi/runner.ts RUNNER_EXIT says what each means); null when a signal ended it. */
  code: number | null;
  signal: string | null;
  /** Why we stopped it, when we did (cancel, pause, the service shutting down); null when it ended on its own. */
  stoppedFor: 'cancel' | 'pause' | 'shutdown' | null;
  /** The last lines the process wrote to stderr, for failure reasons. */
  stderrTail: string;
}

export interface Dispatcher {
  /** Starts the job; returns the provider's id for it. Must be safe to call twice for one job. */
  submit(job: JobRecord): Promise<{ providerJobId: string }>;
  cancel(job: JobRecord): Promise<void>;
  pause?(job: JobRecord): Promise<void>;
  /** May start the job anew elsewhere (e.g. a new Batch job): then it returns the new provider id. */
  resume?(job: JobRecord): Promise<{ providerJobId: string } | void>;
}
