/**
 * The webhook sweeper's entry point end to end: config from the environment, the signing master
 * key from Secrets Manager (a loopback stand-in speaking its JSON protocol, reached through the
 * SDK's standard AWS_ENDPOINT_URL_SECRETS_MANAGER setting), outbox and endpoints in dynalite, and
 * a signed delivery to a loopback receiver that verifies it with the `standardwebhooks` library.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeWebhookMasterKey } from '../../../../functions/config';
import { createDynamoWebhookStores } from '../../../../functions/adapters/dynamodb/webhooks';
import { aesGcmSecretBox, createEndpointService } from '../../../../functions/domain/webhooks';
import { timeSortedIds } from '../../../../functions/domain/ids';
import { systemClock } from '../../../../functions/ports/clock';
import { startEmbedded, type Embedded } from '../../../support/embedded';

const MASTER = 'k'.repeat(20) + 'Q7'.repeat(10) + '0123456789abcdefghijklmnopqrstuv';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf';

const body = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
  });

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let env: Embedded;
let secretsManager: Server;
let receiver: Server;
const secretRequests: { target: string; secretId: string }[] = [];
const received: { headers: Record<string, string>; body: string }[] = [];
let receiverUrl: string;

beforeAll(async () => {
  env = await startEmbedded();
  secretsManager = createServer(async (req, res) => {
    const payload = JSON.parse(await body(req)) as { SecretId: string };
    secretRequests.push({ target: String(req.headers['x-amz-target']), secretId: payload.SecretId });
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(
      JSON.stringify({ ARN: payload.SecretId, Name: 'webhook', SecretString: MASTER, VersionId: 'v1' }),
    );
  });
  receiver = createServer(async (req, res) => {
    received.push({ headers: req.headers as Record<string, string>, body: await body(req) });
    res.writeHead(204).end();
  });
  const smUrl = await listen(secretsManager);
  receiverUrl = await listen(receiver);
  Object.assign(process.env, env.env, {
    TUNEPLANE_WEBHOOK_SECRET_ARN: SECRET_ARN,
    TUNEPLANE_WEBHOOKS_ALLOW_LOOPBACK: 'true',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: smUrl,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
}, 60_000);

afterAll(async () => {
  await new Promise((r) => secretsManager?.close(r));
  await new Promise((r) => receiver?.close(r));
  await env?.stop();
});

it('signs and delivers due outbox events with the master key from Secrets Manager, fetched once', async () => {
  const stores = createDynamoWebhookStores({
    doc: env.clients.doc,
    table: env.config.table,
    clock: systemClock,
  });
  const endpoints = createEndpointService({
    ...stores,
    secrets: aesGcmSecretBox(decodeWebhookMasterKey(MASTER)),
    clock: systemClock,
    ids: timeSortedIds(systemClock),
    checkUrl: () => null,
  });
  const { secret } = await endpoints.create('t1', { url: `${receiverUrl}/hook` });
  await env.stores.outbox.put({
    id: 'ftjob-1:succeeded',
    tenantId: 't1',
    type: 'fine_tuning.job.succeeded',
    subjectId: 'ftjob-1',
    createdAt: Math.floor(Date.now() / 1000),
    status: 'pending',
  });

  const { handler } = await import('../../../../functions/handlers/webhook-delivery');
  const context = { awsRequestId: 'req-1', functionName: 'webhook-delivery' } as Context;
  const summary = await handler({} as ScheduledEvent, context);

  expect(summary).toMatchObject({ outboxProcessed: 1, deliveriesCreated: 1, attempts: 1, succeeded: 1 });
  expect(received).toHaveLength(1);
  const event = new Webhook(secret).verify(received[0].body, received[0].headers) as Record<string, unknown>;
  expect(event).toMatchObject({ type: 'fine_tuning.job.succeeded', data: { id: 'ftjob-1' } });
  expect(secretRequests).toEqual([{ target: 'secretsmanager.GetSecretValue', secretId: SECRET_ARN }]);

  // A second sweep with nothing due sends nothing and reuses the cached key.
  expect(await handler({} as ScheduledEvent, context)).toMatchObject({ attempts: 0 });
  expect(received).toHaveLength(1);
  expect(secretRequests).toHaveLength(1);
});
