/**
 * When to try again. The schedule is the one Standard Webhooks recommends (immediately, 5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h, 10 h), with jitter so a receiver coming back up is not hit by every
 * delivery in the same second. A scale factor compresses it for tests and local runs.
 *
 * The outcome of an attempt is a type (docs/ARCHITECTURE.md, "Errors"): success, retry (perhaps
 * after a delay the receiver asked for), gone (410: stop and disable the endpoint), or refused (the
 * address policy or the URL itself forbids the request: no retry can change that, so the delivery
 * fails at once).
 */
import type { OutboundResult } from '../../ports/webhooks';

/** Delay before attempt n+1 (index n); index 0 is the first attempt. */
export const STANDARD_SCHEDULE_MS: readonly number[] = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

export interface RetryPolicy {
  scheduleMs: readonly number[];
  /** Multiplies every scheduled delay (1 in production; e.g. 0.001 on a test stack). */
  scale: number;
  /** ±fraction of jitter applied to scheduled delays. */
  jitter: number;
  /** A receiver's Retry-After is honoured up to this. */
  retryAfterCapMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  scheduleMs: STANDARD_SCHEDULE_MS,
  scale: 1,
  jitter: 0.2,
  retryAfterCapMs: 3_600_000,
};

export type AttemptOutcome =
  | { kind: 'success' }
  | { kind: 'retry'; retryAfterMs: number | null }
  | { kind: 'gone' }
  | { kind: 'refused' };

/**
 * 2xx succeeds; 410 is gone; a target the policy blocks or a URL that cannot be requested is
 * refused; everything else (3xx included: redirects are never followed) is retried.
 */
export function classify(result: OutboundResult, nowMs: number): AttemptOutcome {
  if (result.kind === 'error') {
    if (result.reason === 'blocked' || result.reason === 'invalid_url') return { kind: 'refused' };
    return { kind: 'retry', retryAfterMs: null };
  }
  const { statusCode } = result;
  if (statusCode >= 200 && statusCode < 300) return { kind: 'success' };
  if (statusCode === 410) return { kind: 'gone' };
  return { kind: 'retry', retryAfterMs: parseRetryAfter(result.headers['retry-after'], nowMs) };
}

/** `Retry-After` as delay-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

/**
 * When attempt `attemptsMade + 1` is due, after `attemptsMade` attempts have failed; null when the
 * schedule is exhausted. `random` in [0, 1) is injectable so tests can pin the jitter.
 */
export function nextAttemptAt(
  policy: RetryPolicy,
  attemptsMade: number,
  nowMs: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number | null {
  if (attemptsMade >= policy.scheduleMs.length) return null;
  const base = policy.scheduleMs[attemptsMade] * policy.scale;
  const jittered = base * (1 + policy.jitter * (2 * random() - 1));
  const asked = retryAfterMs === null ? 0 : Math.min(retryAfterMs, policy.retryAfterCapMs);
  return nowMs + Math.round(Math.max(jittered, asked));
}
