/** What the sweep controller needs: the job service's dependencies, the sweep store, and its settings. */
import type { JobDeps } from '../../jobs';
import type { EvalServiceDeps } from '../../evals/service';
import type { SweepStore } from '../../../ports/sweeps';

export interface ControllerSettings {
  /** How long one pass may hold a sweep before another process may take it over. */
  leaseMs: number;
  /** Job error codes worth one more attempt: the run broke, not the request. */
  retryableErrors: readonly string[];
  /** New jobs a failed trial gets for a retryable failure. */
  maxRetries: number;
}

export const DEFAULT_SETTINGS: ControllerSettings = {
  leaseMs: 60_000,
  retryableErrors: [
    'runner_failed',
    'runner_no_result',
    'runner_interrupted',
    'batch_job_failed',
    'batch_job_missing',
    'upstream_error',
  ],
  maxRetries: 1,
};

export interface ControllerDeps extends JobDeps {
  sweeps: SweepStore;
  settings?: Partial<ControllerSettings>;
  /** Identifies this process in leases; a random id per controller instance by default. */
  owner?: string;
  /** Runs evals on trial models (sweeps whose objective is an eval); absent: such sweeps are refused. */
  evalService?: EvalServiceDeps;
  /** Called after an outbox entry was written (the local stack nudges its webhook worker). */
  onOutbox?: () => void;
  log?: (message: string, detail?: Record<string, unknown>) => void;
}

export function settingsOf(deps: Pick<ControllerDeps, 'settings'>): ControllerSettings {
  return { ...DEFAULT_SETTINGS, ...deps.settings };
}
