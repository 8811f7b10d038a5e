import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  STANDARD_SCHEDULE_MS,
  aesGcmSecretBox,
  classify,
  endpointWants,
  eventIdFor,
  generateSecret,
  nextAttemptAt,
  parseRetryAfter,
  sign,
  signedHeaders,
  thinEvent,
} from '../../../../../functions/domain/webhooks';

describe('signing', () => {
  it('matches the Standard Webhooks specification test vector', () => {
    expect(
      sign(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('lists one space-separated signature per secret, newest first', () => {
    const a = generateSecret();
    const b = generateSecret();
    const h = signedHeaders([a, b], 'evt_1', 1700000000, '{}');
    expect(h['webhook-signature']).toBe(
      `${sign(a, 'evt_1', 1700000000, '{}')} ${sign(b, 'evt_1', 1700000000, '{}')}`,
    );
    expect(h['webhook-timestamp']).toBe('1700000000');
  });

  it('generates whsec_ secrets of 32 random bytes', () => {
    const s = generateSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32);
    expect(generateSecret()).not.toBe(s);
  });
});

describe('events', () => {
  it('builds the thin payload with an id derived from the outbox entry', () => {
    const e = thinEvent({
      outboxId: 'ftjob-1:succeeded',
      type: 'fine_tuning.job.succeeded',
      subjectId: 'ftjob-1',
      createdAt: 1700000000,
    });
    expect(e).toEqual({
      id: eventIdFor('ftjob-1:succeeded'),
      object: 'event',
      type: 'fine_tuning.job.succeeded',
      created_at: 1700000000,
      data: { id: 'ftjob-1' },
    });
    expect(eventIdFor('ftjob-1:succeeded')).not.toBe(eventIdFor('ftjob-1:failed'));
  });

  it('an empty filter wants everything; otherwise only the listed types', () => {
    expect(endpointWants([], 'fine_tuning.job.running')).toBe(true);
    expect(endpointWants(['fine_tuning.job.failed'], 'fine_tuning.job.running')).toBe(false);
    expect(endpointWants(['fine_tuning.job.failed'], 'fine_tuning.job.failed')).toBe(true);
  });
});

describe('retry policy', () => {
  const now = 1_700_000_000_000;
  const response = (statusCode: number, headers: Record<string, string> = {}) =>
    ({ kind: 'response', statusCode, headers, bodySnippet: '', durationMs: 1 }) as const;

  it('counts only 2xx as success; 410 is gone; 3xx, 4xx, 5xx and network errors are retried', () => {
    expect(classify(response(200), now)).toEqual({ kind: 'success' });
    expect(classify(response(299), now)).toEqual({ kind: 'success' });
    expect(classify(response(410), now)).toEqual({ kind: 'gone' });
    for (const s of [301, 302, 307, 400, 404, 500, 503])
      expect(classify(response(s), now).kind).toBe('retry');
    expect(classify({ kind: 'error', reason: 'timeout', message: '', durationMs: 1 }, now)).toEqual({
      kind: 'retry',
      retryAfterMs: null,
    });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(parseRetryAfter(new Date(now - 30_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(classify(response(503, { 'retry-after': '7' }), now)).toEqual({
      kind: 'retry',
      retryAfterMs: 7000,
    });
  });

  it('follows the Standard Webhooks schedule and stops after it', () => {
    const noJitter = () => 0.5;
    const delays = STANDARD_SCHEDULE_MS.map(
      (_, i) => nextAttemptAt(DEFAULT_RETRY_POLICY, i, now, null, noJitter)! - now,
    );
    expect(delays).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(nextAttemptAt(DEFAULT_RETRY_POLICY, 8, now, null, noJitter)).toBeNull();
  });

  it('jitters within ±20% and scales by the configured factor', () => {
    const lo = nextAttemptAt(DEFAULT_RETRY_POLICY, 2, now, null, () => 0)! - now;
    const hi = nextAttemptAt(DEFAULT_RETRY_POLICY, 2, now, null, () => 0.999999)! - now;
    expect(lo).toBe(240_000);
    expect(hi).toBeGreaterThan(359_000);
    expect(hi).toBeLessThanOrEqual(360_000);
    expect(nextAttemptAt({ ...DEFAULT_RETRY_POLICY, scale: 0.001 }, 2, now, null, () => 0.5)! - now).toBe(
      300,
    );
  });

  it('waits at least as long as Retry-After asks, up to the cap', () => {
    expect(nextAttemptAt(DEFAULT_RETRY_POLICY, 1, now, 60_000, () => 0.5)! - now).toBe(60_000);
    expect(nextAttemptAt(DEFAULT_RETRY_POLICY, 1, now, 10 * 86_400_000, () => 0.5)! - now).toBe(
      DEFAULT_RETRY_POLICY.retryAfterCapMs,
    );
    expect(nextAttemptAt(DEFAULT_RETRY_POLICY, 3, now, 1_000, () => 0.5)! - now).toBe(1_800_000);
  });
});

describe('secret box', () => {
  it('round-trips, never stores the plain secret, and refuses a tampered or foreign seal', () => {
    const box = aesGcmSecretBox(randomBytes(32));
    const secret = generateSecret();
    const sealed = box.seal(secret);
    expect(sealed).not.toContain(secret.slice(6, 20));
    expect(box.open(sealed)).toBe(secret);
    const parts = sealed.split('.');
    const data = Buffer.from(parts[3], 'base64');
    data[0] ^= 1;
    parts[3] = data.toString('base64');
    expect(() => box.open(parts.join('.'))).toThrow();
    expect(() => aesGcmSecretBox(randomBytes(32)).open(sealed)).toThrow();
  });
});
