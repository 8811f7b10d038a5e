import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveryIdFor } from '../../../functions/domain/webhooks';
import { type WebhookHarness, startWebhookHarness } from './harness';

const TENANT = 'tenant-a';
// A compressed schedule (0, 50 ms, 3 s, 18 s, …) keeps signed timestamps within verifiers' 5-minute tolerance.
const SCALE = 0.01;

let h: WebhookHarness;
beforeEach(async () => {
  h = await startWebhookHarness({ policy: { scale: SCALE } });
});
afterEach(async () => {
  await h.stop();
});

async function deliveries(endpointId: string) {
  return (await h.stores.deliveries.listByEndpoint(endpointId, { limit: 100 })).items;
}

describe('webhook delivery on the embedded table', () => {
  it('retries a receiver that fails with 500 and stops after exactly one success, which verifies', async () => {
    const r = await h.receiver((n) => (n < 2 ? { status: 500, body: 'boom' } : { status: 200, body: 'ok' }));
    const { endpoint, secret } = await h.service.create(TENANT, { url: r.url });
    await h.emit(TENANT, 'fine_tuning.job.succeeded', 'ftjob-1', 'ftjob-1:succeeded');

    await h.engine.processDue();
    expect(r.received).toHaveLength(1);
    h.clock.advance(5_000 * SCALE);
    await h.engine.processDue();
    expect(r.received).toHaveLength(2);
    h.clock.advance(300_000 * SCALE);
    await h.engine.processDue();
    expect(r.received).toHaveLength(3);
    // Nothing more, however long we wait.
    for (let i = 0; i < 5; i++) {
      h.clock.advance(36_000_000 * SCALE);
      await h.engine.processDue();
    }
    expect(r.received).toHaveLength(3);

    const ids = new Set(r.received.map((x) => x.headers['webhook-id']));
    expect(ids.size).toBe(1);
    const last = r.received[2];
    const event = new Webhook(secret).verify(last.body, last.headers) as Record<string, unknown>;
    expect(event).toMatchObject({
      object: 'event',
      type: 'fine_tuning.job.succeeded',
      data: { id: 'ftjob-1' },
    });
    expect(event.id).toBe(last.headers['webhook-id']);

    const [d] = await deliveries(endpoint.id);
    expect(d).toMatchObject({
      id: deliveryIdFor('ftjob-1:succeeded', endpoint.id),
      status: 'succeeded',
      attemptCount: 3,
      nextAttemptAtMs: null,
    });
    expect(d.attempts.map((a) => a.statusCode)).toEqual([500, 500, 200]);
    expect(d.attempts[0]).toMatchObject({ responseSnippet: 'boom', error: 'HTTP 500' });
    expect(d.attempts[0].nextAttemptAtMs).toBe(d.attempts[0].attemptedAtMs + 5_000 * SCALE);
  });

  it('gives up after the eight attempts of the schedule', async () => {
    const r = await h.receiver(() => ({ status: 500 }));
    const { endpoint } = await h.service.create(TENANT, { url: r.url });
    await h.emit(TENANT, 'fine_tuning.job.failed', 'ftjob-2', 'ftjob-2:failed');
    for (let i = 0; i < 12; i++) {
      await h.engine.processDue();
      h.clock.advance(36_000_000 * SCALE);
    }
    expect(r.received).toHaveLength(8);
    const [d] = await deliveries(endpoint.id);
    expect(d).toMatchObject({ status: 'failed', attemptCount: 8, nextAttemptAtMs: null });
  });

  it('disables an endpoint that answers 410 Gone and sends it nothing more', async () => {
    const r = await h.receiver(() => ({ status: 410 }));
    const { endpoint } = await h.service.create(TENANT, { url: r.url });
    await h.emit(TENANT, 'fine_tuning.job.succeeded', 'ftjob-3', 'ftjob-3:succeeded');
    await h.engine.processDue();
    expect(r.received).toHaveLength(1);
    expect(await h.service.get(TENANT, endpoint.id)).toMatchObject({
      status: 'disabled',
      disabledReason: 'gone',
    });

    await h.emit(TENANT, 'fine_tuning.job.succeeded', 'ftjob-4', 'ftjob-4:succeeded');
    h.clock.advance(3_600_000);
    await h.engine.processDue();
    expect(r.received).toHaveLength(1);
    const [d] = await deliveries(endpoint.id);
    expect(d).toMatchObject({ status: 'failed', attemptCount: 1 });
  });

  it('waits as long as Retry-After asks (seconds or an HTTP date) before trying again', async () => {
    const r = await h.receiver((n) =>
      n === 0
        ? { status: 503, headers: { 'retry-after': '120' } }
        : n === 1
          ? { status: 429, headers: { 'retry-after': new Date(h.clock.nowMs() + 600_000).toUTCString() } }
          : { status: 204 },
    );
    await h.service.create(TENANT, { url: r.url });
    await h.emit(TENANT, 'fine_tuning.job.succeeded', 'ftjob-5', 'ftjob-5:succeeded');
    await h.engine.processDue();
    expect(r.received).toHaveLength(1);
    h.clock.advance(119_000);
    await h.engine.processDue();
    expect(r.received).toHaveLength(1);
    h.clock.advance(1_000);
    await h.engine.processDue();
    expect(r.received).toHaveLength(2);
    h.clock.advance(590_000);
    await h.engine.processDue();
    expect(r.received).toHaveLength(2);
    h.clock.advance(11_000);
    await h.engine.processDue();
    expect(r.received).toHaveLength(3);
  });

  it('caps an excessive Retry-After', async () => {
    const r = await h.receiver((n) =>
      n === 0 ? { status: 503, headers: { 'retry-after': '999999' } } : { status: 200 },
    );
    await h.service.create(TENANT, { url: r.url });
    await h.emit(TENANT, 'fine_tuning.job.succeeded', 'ftjob-6', 'ftjob-6:succeeded');
    await h.engine.processDue();
    h.clock.advance(3_600_000);
    await h.engine.processDue();
    expect(r.received).toHaveLength(2);
  });

  it('delivers a duplicated or re-processed event once per endpoint, even with two workers racing', async () => {
    const r = await h.receiver(() => ({ status: 200 }));
    const other = await h.receiver(() => ({ status: 200 }));
    await h.service.create(TENANT, { url: r.url });
    await h.service.create(TENANT, { url: other.url });
    await h.emit(TENANT, 'fine_tuning.job.cancelled', 'ftjob-7', 'ftjob-7:cancelled');
    await h.emit(TENANT, 'fine_tuning.job.cancelled', 'ftjob-7', 'ftjob-7:cancelled');
    // The first runs fan out but "crash" before marking the entry dispatched, so it is processed again.
    h.loseOutboxMarks(2);
    await Promise.all([h.engine.processDue(), h.engine.processDue(), h.engine.processDue()]);
    expect(await h.outbox.listPending(10)).toHaveLength(0);
    await Promise.all([h.engine.processDue(), h.engine.processDue()]);
    h.clock.advance(3_600_000);
    await h.engine.processDue();
    expect(r.received).toHaveLength(1);
    expect(other.received).toHaveLength(1);
  });

  it('sends an endpoint only the event types it asked for, and nothing to other tenants', async () => {
    const r = await h.receiver(() => ({ status: 200 }));
    const mine = await h.receiver(() => ({ status: 200 }));
    await h.service.create(TENANT, { url: r.url, enabledEvents: ['fine_tuning.job.succeeded'] });
    await h.service.create('tenant-b', { url: mine.url });
    await h.emit(TENANT, 'fine_tuning.job.running', 'ftjob-8');
    await h.emit(TENANT, 'fine_tuning.job.succeeded', 'ftjob-8', 'ftjob-8:succeeded');
    await h.engine.processDue();
    expect(r.received.map((x) => JSON.parse(x.body).type)).toEqual(['fine_tuning.job.succeeded']);
    expect(mine.received).toHaveLength(0);
  });

  it('treats a redirect as a failure and never fetches its Location', async () => {
    const target = await h.receiver(() => ({ status: 200 }));
    const r = await h.receiver(() => ({ status: 302, headers: { location: target.url } }));
    const { endpoint } = await h.service.create(TENANT, { url: r.url });
    await h.emit(TENANT, 'fine_tuning.job.succeeded', 'ftjob-9', 'ftjob-9:succeeded');
    await h.engine.processDue();
    expect(target.connections).toBe(0);
    const [d] = await deliveries(endpoint.id);
    expect(d.status).toBe('pending');
    expect(d.attempts[0]).toMatchObject({ statusCode: 302 });
    expect(d.attempts[0].error).toContain('redirects are not followed');
  });

  it('during a rotation signs with both secrets, each verifying alone; after the grace period only the new one', async () => {
    const r = await h.receiver(() => ({ status: 200 }));
    const { endpoint, secret: oldSecret } = await h.service.create(TENANT, { url: r.url });
    const { secret: newSecret } = await h.service.rotateSecret(TENANT, endpoint.id, 60);
    expect(newSecret).not.toBe(oldSecret);
    await h.emit(TENANT, 'fine_tuning.job.succeeded', 'ftjob-10', 'ftjob-10:succeeded');
    await h.engine.processDue();
    const [first] = r.received;
    expect(first.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(first.body, first.headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(first.body, first.headers)).not.toThrow();

    h.clock.advance(61_000);
    await h.emit(TENANT, 'fine_tuning.job.succeeded', 'ftjob-11', 'ftjob-11:succeeded');
    await h.engine.processDue();
    const second = r.received[1];
    expect(second.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(() => new Webhook(newSecret).verify(second.body, second.headers)).not.toThrow();
    expect(() => new Webhook(oldSecret).verify(second.body, second.headers)).toThrow();
  });

  it('redelivers on request with the same webhook-id', async () => {
    const r = await h.receiver(() => ({ status: 200 }));
    const { endpoint } = await h.service.create(TENANT, { url: r.url });
    await h.emit(TENANT, 'fine_tuning.job.succeeded', 'ftjob-12', 'ftjob-12:succeeded');
    await h.engine.processDue();
    const id = deliveryIdFor('ftjob-12:succeeded', endpoint.id);
    const again = await h.service.redeliver(TENANT, endpoint.id, id);
    expect(again.status).toBe('pending');
    await h.engine.processDue();
    expect(r.received).toHaveLength(2);
    expect(r.received[1].headers['webhook-id']).toBe(r.received[0].headers['webhook-id']);
    await expect(h.service.redeliver('tenant-b', endpoint.id, id)).rejects.toMatchObject({ status: 404 });
  });

  it('cancels pending deliveries of an endpoint that was disabled or deleted', async () => {
    const r = await h.receiver(() => ({ status: 500 }));
    const { endpoint } = await h.service.create(TENANT, { url: r.url });
    await h.emit(TENANT, 'fine_tuning.job.succeeded', 'ftjob-13', 'ftjob-13:succeeded');
    await h.engine.processDue();
    await h.service.disable(TENANT, endpoint.id);
    h.clock.advance(3_600_000);
    await h.engine.processDue();
    expect(r.received).toHaveLength(1);
    const [d] = await deliveries(endpoint.id);
    expect(d.status).toBe('cancelled');
  });

  it('fails a delivery the address policy refuses at once, with the reason, and never retries it', async () => {
    // The endpoint was accepted (its name resolved publicly then); at delivery time it resolves to
    // a blocked address. A stack that may not reach loopback sends it nothing.
    const strict = await startWebhookHarness({ policy: { scale: SCALE } }, { allowLoopback: false });
    try {
      const r = await strict.receiver(() => ({ status: 200 }));
      const { endpoint } = await strict.service.create(TENANT, {
        url: r.url.replace('127.0.0.1', 'localhost'),
      });
      await strict.emit(TENANT, 'fine_tuning.job.succeeded', 'ftjob-20', 'ftjob-20:succeeded');
      await strict.engine.processDue();
      for (let i = 0; i < 3; i++) {
        strict.clock.advance(36_000_000 * SCALE);
        await strict.engine.processDue();
      }
      expect(r.received).toHaveLength(0);
      const [d] = (await strict.stores.deliveries.listByEndpoint(endpoint.id, { limit: 10 })).items;
      expect(d).toMatchObject({ status: 'failed', attemptCount: 1, nextAttemptAtMs: null });
      expect(d.attempts[0].error).toMatch(/^blocked: .*(loopback|127\.0\.0\.1|::1)/);
      expect(d.attempts[0].nextAttemptAtMs).toBeNull();
    } finally {
      await strict.stop();
    }
  });
});
