/**
 * Where a queued job goes to run. One adapter per provider (local child process, AWS Batch,
 * OpenAI); the composition root picks by the job's `provider`.
 */
import type { JobRecord } from '../domain/records';

export interface Dispatcher {
  /** Starts the job; returns the provider's id for it. Must be safe to call twice for one job. */
  submit(job: JobRecord): Promise<{ providerJobId: string }>;
  cancel(job: JobRecord): Promise<void>;
  pause?(job: JobRecord): Promise<void>;
  /** May start the job anew elsewhere (e.g. a new Batch job): then it returns the new provider id. */
  resume?(job: JobRecord): Promise<{ providerJobId: string } | void>;
}
