/**
 * /v1/webhook_endpoints through the Hono app on the embedded stack (dynalite + s3rver), and the
 * whole path from a job's terminal transition to a verified webhook at a loopback receiver.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoWebhookStores } from '../../../functions/adapters/dynamodb/webhooks';
import { createHttpSender, webhookUrlChecker } from '../../../functions/adapters/http';
import { createApp } from '../../../functions/api/app';
import type { AppDeps } from '../../../functions/api/deps';
import { createApiKey } from '../../../functions/domain/api-keys';
import { timeSortedIds } from '../../../functions/domain/ids';
import { transitionJob } from '../../../functions/domain/lifecycle';
import { aesGcmSecretBox, createWebhookEngine } from '../../../functions/domain/webhooks';
import { type Embedded, startEmbedded } from '../../support/embedded';
import { jobRecord } from '../../support/records';
import { type Receiver, movableClock, startReceiver } from './harness';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by shape below
type Json = Record<string, any>;

let env: Embedded;
let app: ReturnType<typeof createApp>;
let engine: ReturnType<typeof createWebhookEngine>;
let keyA: string;
let keyB: string;
const clock = movableClock();
const receivers: Receiver[] = [];

beforeAll(async () => {
  env = await startEmbedded({ clock });
  const webhookStores = createDynamoWebhookStores({ doc: env.clients.doc, table: env.config.table, clock });
  const secrets = aesGcmSecretBox(randomBytes(32));
  const deps: AppDeps = {
    stores: env.stores,
    blobs: env.blobs,
    clock,
    ids: timeSortedIds(clock),
    webhooks: { stores: webhookStores, secrets, checkUrl: webhookUrlChecker({ allowLoopback: true }) },
  };
  app = createApp(deps);
  engine = createWebhookEngine(
    {
      outbox: env.stores.outbox,
      ...webhookStores,
      sender: createHttpSender({ allowLoopback: true, timeoutMs: 2000 }),
      secrets,
      clock,
    },
    { policy: { scale: 0.01 }, random: () => 0.5 },
  );
  keyA = (await createApiKey({ apiKeys: env.stores.apiKeys, clock }, { tenantId: 'tenant-a', name: 'a' }))
    .key;
  keyB = (await createApiKey({ apiKeys: env.stores.apiKeys, clock }, { tenantId: 'tenant-b', name: 'b' }))
    .key;
});
afterAll(async () => {
  for (const r of receivers) await r.close();
  await env?.stop();
});

async function receiver(answer: Parameters<typeof startReceiver>[0]) {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}

async function call(method: string, path: string, body?: unknown, key = keyA) {
  const res = await app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

describe('/v1/webhook_endpoints', () => {
  it('creates an endpoint and shows its secret only in the create response', async () => {
    const created = await call('POST', '/v1/webhook_endpoints', {
      url: 'https://hooks.example.com/tuneplane',
      enabled_events: ['fine_tuning.job.succeeded', 'fine_tuning.job.failed'],
      description: 'prod',
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      object: 'webhook_endpoint',
      url: 'https://hooks.example.com/tuneplane',
      enabled_events: ['fine_tuning.job.succeeded', 'fine_tuning.job.failed'],
      status: 'enabled',
      description: 'prod',
    });
    expect(created.body.id).toMatch(/^we_/);
    expect(created.body.secret).toMatch(/^whsec_/);
    expect(created.headers.get('cache-control')).toBe('no-store');

    const got = await call('GET', `/v1/webhook_endpoints/${created.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body.secret).toBeUndefined();
    const list = await call('GET', '/v1/webhook_endpoints?limit=100');
    expect(list.body.data.map((e: { id: string }) => e.id)).toContain(created.body.id);
    expect(list.body.data.every((e: Record<string, unknown>) => !('secret' in e))).toBe(true);

    expect((await call('GET', `/v1/webhook_endpoints/${created.body.id}`, undefined, keyB)).status).toBe(404);
    expect((await call('GET', '/v1/webhook_endpoints', undefined, keyB)).body.data).toHaveLength(0);
  });

  it.each([
    [{ url: 'ftp://example.com/x' }, 'url'],
    [{ url: 'http://169.254.169.254/latest/meta-data' }, 'url'],
    [{ url: 'http://10.0.0.8/hook' }, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: 'https://example.com', enabled_events: ['fine_tuning.job.exploded'] }, 'enabled_events[0]'],
    [{ url: 'https://example.com', colour: 'red' }, 'colour'],
    [{}, 'url'],
  ])('refuses %j with a 400 naming %s', async (body, param) => {
    const res = await call('POST', '/v1/webhook_endpoints', body);
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe(param);
  });

  it('never stores the one-time secret under an Idempotency-Key; a replay is a 409 and creates nothing', async () => {
    const post = () =>
      app.request('/v1/webhook_endpoints', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${keyA}`,
          'content-type': 'application/json',
          'Idempotency-Key': 'create-once',
        },
        body: JSON.stringify({ url: 'https://hooks.example.com/once' }),
      });
    const first = await post();
    expect(first.status).toBe(200);
    const { secret } = (await first.json()) as { secret: string };
    expect(secret).toMatch(/^whsec_/);
    const table = await env.clients.doc.scan({ TableName: env.config.table });
    expect(JSON.stringify(table.Items)).not.toContain(secret);

    const replay = await post();
    expect(replay.status).toBe(409);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe(
      'idempotent_response_not_stored',
    );
    const list = await call('GET', '/v1/webhook_endpoints');
    expect(
      list.body.data.filter((e: Record<string, unknown>) => e.url === 'https://hooks.example.com/once'),
    ).toHaveLength(1);
  });

  it('updates, disables, enables, rotates and deletes', async () => {
    const { body: ep } = await call('POST', '/v1/webhook_endpoints', { url: 'https://a.example.com/' });
    const updated = await call('POST', `/v1/webhook_endpoints/${ep.id}`, {
      url: 'https://b.example.com/',
      enabled_events: ['fine_tuning.job.cancelled'],
      description: null,
    });
    expect(updated.body).toMatchObject({
      url: 'https://b.example.com/',
      enabled_events: ['fine_tuning.job.cancelled'],
      description: null,
    });
    expect((await call('POST', `/v1/webhook_endpoints/${ep.id}`, { url: 'http://[fd00::1]/' })).status).toBe(
      400,
    );

    const disabled = await call('POST', `/v1/webhook_endpoints/${ep.id}/disable`);
    expect(disabled.body).toMatchObject({ status: 'disabled', disabled_reason: 'manual' });
    const enabled = await call('POST', `/v1/webhook_endpoints/${ep.id}`, { enabled: true });
    expect(enabled.body).toMatchObject({ status: 'enabled', disabled_reason: null });

    const rotated = await call('POST', `/v1/webhook_endpoints/${ep.id}/rotate_secret`, {
      grace_period_seconds: 3600,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(ep.secret);
    expect(rotated.body.previous_secret_expires_at).toBe(Math.floor(clock.nowMs() / 1000) + 3600);
    const bad = await call('POST', `/v1/webhook_endpoints/${ep.id}/rotate_secret`, {
      grace_period_seconds: 10_000_000,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('grace_period_seconds');
    const noBody = await app.request(`/v1/webhook_endpoints/${ep.id}/rotate_secret`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}` },
    });
    expect(noBody.status).toBe(200);

    const deleted = await call('DELETE', `/v1/webhook_endpoints/${ep.id}`);
    expect(deleted.body).toEqual({ id: ep.id, object: 'webhook_endpoint.deleted', deleted: true });
    expect((await call('GET', `/v1/webhook_endpoints/${ep.id}`)).status).toBe(404);
    expect((await call('DELETE', `/v1/webhook_endpoints/${ep.id}`)).status).toBe(404);
  });

  it('a job that succeeds while a cancel races it produces exactly one verified completion webhook, logged and redeliverable', async () => {
    const r = await receiver((n) =>
      n === 0 ? { status: 503, body: 'warming up' } : { status: 200, body: 'ok' },
    );
    const { body: ep } = await call('POST', '/v1/webhook_endpoints', {
      url: r.url,
      enabled_events: ['fine_tuning.job.succeeded', 'fine_tuning.job.failed', 'fine_tuning.job.cancelled'],
    });
    const jobId = `ftjob-race-${randomBytes(4).toString('hex')}`;
    await env.stores.jobs.create(jobRecord({ id: jobId, tenantId: 'tenant-a', status: 'running' }));
    const lifecycle = { stores: env.stores, clock };
    const results = await Promise.allSettled([
      transitionJob(lifecycle, jobId, 'succeeded'),
      transitionJob(lifecycle, jobId, 'cancelled'),
      transitionJob(lifecycle, jobId, 'succeeded'),
    ]);
    expect(results.some((x) => x.status === 'fulfilled')).toBe(true);
    await Promise.all([engine.processDue(), engine.processDue()]);
    clock.advance(1_000);
    await engine.processDue();
    clock.advance(10_000);
    await engine.processDue();

    expect(r.received).toHaveLength(2);
    const final = (await env.stores.jobs.getById(jobId))!.status;
    for (const got of r.received) {
      const event = new Webhook(ep.secret).verify(got.body, got.headers) as Json;
      expect(event).toMatchObject({ type: `fine_tuning.job.${final}`, data: { id: jobId } });
    }

    const log = await call('GET', `/v1/webhook_endpoints/${ep.id}/deliveries`);
    expect(log.status).toBe(200);
    expect(log.body.data).toHaveLength(1);
    const [d] = log.body.data;
    expect(d).toMatchObject({
      object: 'webhook_delivery',
      endpoint_id: ep.id,
      status: 'succeeded',
      attempt_count: 2,
      next_attempt_at: null,
    });
    expect(d.event).toMatchObject({ object: 'event', type: `fine_tuning.job.${final}`, data: { id: jobId } });
    expect(d.attempts[0]).toMatchObject({
      status_code: 503,
      response_snippet: 'warming up',
      error: 'HTTP 503',
    });
    expect(d.attempts[0].next_attempt_at).toEqual(expect.any(Number));
    expect(d.attempts[1]).toMatchObject({ status_code: 200, error: null, next_attempt_at: null });
    expect(d.attempts[1].duration_ms).toEqual(expect.any(Number));
    expect((await call('GET', `/v1/webhook_endpoints/${ep.id}/deliveries`, undefined, keyB)).status).toBe(
      404,
    );

    const again = await call(
      'POST',
      `/v1/webhook_endpoints/${ep.id}/deliveries/${encodeURIComponent(d.id)}/redeliver`,
    );
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('pending');
    await engine.processDue();
    expect(r.received).toHaveLength(3);
    expect(r.received[2].headers['webhook-id']).toBe(r.received[0].headers['webhook-id']);
    expect((await call('POST', `/v1/webhook_endpoints/${ep.id}/deliveries/nope/redeliver`)).status).toBe(404);
  });
});
