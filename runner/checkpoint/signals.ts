/**
 * SIGTERM (AWS Batch Spot reclaim, `docker stop`): the trainer finishes its current step, saves a
 * checkpoint and the process exits with RUNNER_EXIT.retryable (openapi/runner.ts), so the
 * orchestrator retries the attempt and the retry resumes from that checkpoint. Batch sends SIGKILL
 * 30 s after SIGTERM by default; steps of the models we train are far shorter, and a watchdog exits
 * (still retryable) if saving hangs.
 */
import { RUNNER_EXIT } from '../../openapi/runner';

export interface StopFlag {
  readonly requested: boolean;
  /** Removes the signal handlers. */
  release(): void;
}

export function onTerminate(opts: { graceMs?: number; onExpire?: () => void } = {}): StopFlag {
  let requested = false;
  let timer: NodeJS.Timeout | undefined;
  const handler = () => {
    requested = true;
    timer ??= setTimeout(
      () => (opts.onExpire ?? (() => process.exit(RUNNER_EXIT.retryable)))(),
      opts.graceMs ?? 25_000,
    );
    timer.unref();
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return {
    get requested() {
      return requested;
    },
    release() {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
      if (timer) clearTimeout(timer);
    },
  };
}
