/**
 * Receivers verify our webhooks with libraries we did not write: the Standard Webhooks reference
 * library and the official `openai` SDK's webhook verifier (which receivers of OpenAI's own
 * fine-tuning webhooks already use).
 */
import OpenAI from 'openai';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedHeaders } from '../../../functions/domain/webhooks';
import { type Received, type WebhookHarness, startWebhookHarness } from '../../integration/webhooks/harness';

const TENANT = 'tenant-compat';
let h: WebhookHarness;
let single: { received: Received; secret: string };
let rotated: { received: Received; oldSecret: string; newSecret: string };

beforeAll(async () => {
  h = await startWebhookHarness();
  const a = await h.receiver(() => ({ status: 200 }));
  const b = await h.receiver(() => ({ status: 200 }));
  const ea = await h.service.create(TENANT, { url: a.url, enabledEvents: ['fine_tuning.job.succeeded'] });
  const eb = await h.service.create(TENANT, { url: b.url, enabledEvents: ['fine_tuning.job.failed'] });
  const rot = await h.service.rotateSecret(TENANT, eb.endpoint.id, 3600);
  await h.emit(TENANT, 'fine_tuning.job.succeeded', 'ftjob-compat-1', 'ftjob-compat-1:succeeded');
  await h.emit(TENANT, 'fine_tuning.job.failed', 'ftjob-compat-2', 'ftjob-compat-2:failed');
  await h.engine.processDue();
  single = { received: a.received[0], secret: ea.secret };
  rotated = { received: b.received[0], oldSecret: eb.secret, newSecret: rot.secret };
});
afterAll(async () => {
  await h.stop();
});

describe('standardwebhooks verifies what we send', () => {
  it('accepts the signature and returns the thin payload', () => {
    const payload = new Webhook(single.secret).verify(single.received.body, single.received.headers);
    expect(payload).toEqual({
      id: single.received.headers['webhook-id'],
      object: 'event',
      type: 'fine_tuning.job.succeeded',
      created_at: expect.any(Number),
      data: { id: 'ftjob-compat-1' },
    });
  });

  it('accepts either secret during a rotation', () => {
    for (const secret of [rotated.oldSecret, rotated.newSecret]) {
      expect(() => new Webhook(secret).verify(rotated.received.body, rotated.received.headers)).not.toThrow();
    }
  });

  it('rejects a tampered body and a foreign secret', () => {
    const tampered = single.received.body.replace('ftjob-compat-1', 'ftjob-compat-X');
    expect(() => new Webhook(single.secret).verify(tampered, single.received.headers)).toThrow();
    expect(() =>
      new Webhook(rotated.newSecret).verify(single.received.body, single.received.headers),
    ).toThrow();
  });

  it('produces the same signature as the reference library for the same input', () => {
    const ts = Math.floor(Date.now() / 1000);
    const ours = signedHeaders([single.secret], 'evt_x', ts, '{"a":1}')['webhook-signature'];
    expect(ours).toBe(new Webhook(single.secret).sign('evt_x', new Date(ts * 1000), '{"a":1}'));
  });
});

describe('the openai SDK webhook verifier accepts what we send', () => {
  const client = (secret: string) =>
    new OpenAI({ apiKey: 'unused', webhookSecret: secret, baseURL: 'http://127.0.0.1:9/v1' });

  it('unwraps the event with the endpoint secret', async () => {
    const event = (await client(single.secret).webhooks.unwrap(
      single.received.body,
      single.received.headers,
    )) as unknown as Record<string, unknown>;
    expect(event).toMatchObject({
      object: 'event',
      type: 'fine_tuning.job.succeeded',
      data: { id: 'ftjob-compat-1' },
    });
  });

  it('verifies with either secret during a rotation', async () => {
    for (const secret of [rotated.oldSecret, rotated.newSecret]) {
      await expect(
        client(secret).webhooks.verifySignature(rotated.received.body, rotated.received.headers),
      ).resolves.toBeUndefined();
    }
  });

  it('rejects a tampered body', async () => {
    const tampered = single.received.body.replace('succeeded', 'failed');
    await expect(
      client(single.secret).webhooks.verifySignature(tampered, single.received.headers),
    ).rejects.toThrow(/signature/i);
  });
});
