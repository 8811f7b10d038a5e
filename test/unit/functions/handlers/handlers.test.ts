/**
 * The Lambda entry points as composition roots: configured from the environment exactly as the
 * stack sets it (plus the embedded endpoints), talking to dynalite and s3rver over HTTP. Secrets
 * Manager and the Batch control plane are not reached by these requests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../../functions/domain/api-keys';
import { systemClock } from '../../../../functions/ports/clock';
import { startEmbedded, type Embedded } from '../../../support/embedded';
import { fileUploadEvent, httpEvent, TRAINING_JSONL } from '../../../support/lambda-events';
import { jobRecord } from '../../../support/records';

const STACK_ENV = {
  TUNEPLANE_BATCH_JOB_QUEUE: 'arn:aws:batch:us-east-1:123456789012:job-queue/q',
  TUNEPLANE_BATCH_JOB_DEFINITION: 'arn:aws:batch:us-east-1:123456789012:job-definition/runner:1',
  TUNEPLANE_OPENAI_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:openai-AbCdEf',
  TUNEPLANE_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

const context = {
  awsRequestId: 'req-1',
  functionName: 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
  memoryLimitInMB: '512',
  logGroupName: 'g',
  logStreamName: 's',
  getRemainingTimeInMillis: () => 10_000,
  callbackWaitsForEmptyEventLoop: true,
} as unknown as Context;

let env: Embedded;
/** Secrets Manager cannot run here: a loopback stand-in answers GetSecretValue (JSON 1.1 protocol). */
let secretsManager: Server;
const secretReads: string[] = [];
beforeAll(async () => {
  env = await startEmbedded();
  secretsManager = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const { SecretId } = JSON.parse(raw) as { SecretId: string };
      secretReads.push(SecretId);
      const value = SecretId === STACK_ENV.TUNEPLANE_WEBHOOK_SECRET_ARN ? 'm'.repeat(64) : '{"apiKey":""}';
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ ARN: SecretId, Name: 'n', SecretString: value }));
    });
  });
  await new Promise<void>((resolve) => secretsManager.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, env.env, STACK_ENV, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(secretsManager.address() as AddressInfo).port}`,
  });
}, 60_000);
afterAll(async () => {
  await new Promise((r) => secretsManager?.close(r));
  await env?.stop();
});

describe('api handler', () => {
  it('answers API Gateway events through the Hono app, authenticating keys against the table', async () => {
    const { handler } = await import('../../../../functions/handlers/api');
    const { key } = await createApiKey(
      { apiKeys: env.stores.apiKeys, clock: systemClock },
      { tenantId: 't1', name: 'k' },
    );

    const anonymous = await handler(httpEvent('GET', '/v1/models') as never, context);
    expect(anonymous.statusCode).toBe(401);
    expect(JSON.parse(anonymous.body).error.type).toBeDefined();

    const listed = await handler(
      httpEvent('GET', '/v1/fine_tuning/jobs', { authorization: `Bearer ${key}` }) as never,
      context,
    );
    expect(listed.statusCode).toBe(200);
    expect(JSON.parse(listed.body)).toMatchObject({ object: 'list', data: [], has_more: false });
    expect(secretReads).toEqual([]); // no secret is read for requests that do not need one
  });

  it('uploads a training file to S3 (loaded on first use) and serves its content back', async () => {
    const { handler } = await import('../../../../functions/handlers/api');
    const { key } = await createApiKey(
      { apiKeys: env.stores.apiKeys, clock: systemClock },
      { tenantId: 't3', name: 'k' },
    );
    const event = await fileUploadEvent({ authorization: `Bearer ${key}` });
    const created = await handler(event as never, context);
    expect(created.statusCode).toBe(200);
    const file = JSON.parse(created.body);
    expect(file).toMatchObject({ object: 'file', bytes: TRAINING_JSONL.length, filename: 'train.jsonl' });

    const content = await handler(
      httpEvent('GET', `/v1/files/${file.id}/content`, { authorization: `Bearer ${key}` }) as never,
      context,
    );
    expect(content.statusCode).toBe(200);
    expect(content.isBase64Encoded ? Buffer.from(content.body, 'base64').toString() : content.body).toBe(
      TRAINING_JSONL,
    );
  });

  it('creates a webhook endpoint with its secret sealed under the master key read from Secrets Manager', async () => {
    const { handler } = await import('../../../../functions/handlers/api');
    const { key } = await createApiKey(
      { apiKeys: env.stores.apiKeys, clock: systemClock },
      { tenantId: 't2', name: 'k' },
    );
    const event = {
      ...httpEvent('POST', '/v1/webhook_endpoints', {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
      }),
      body: JSON.stringify({ url: 'https://hooks.example.com/tuneplane' }),
    };
    const created = await handler(event as never, context);
    expect(created.statusCode).toBe(200);
    const endpoint = JSON.parse(created.body);
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect(secretReads).toEqual([STACK_ENV.TUNEPLANE_WEBHOOK_SECRET_ARN]);
    // What the table holds is sealed, not the secret itself.
    const { DynamoWebhookEndpointStore } = await import('../../../../functions/adapters/dynamodb/webhooks');
    const stored = await new DynamoWebhookEndpointStore({
      doc: env.clients.doc,
      table: env.config.table,
      clock: systemClock,
    }).get('t2', endpoint.id);
    expect(JSON.stringify(stored)).not.toContain(endpoint.secret);
  });
});

describe('batch-events handler', () => {
  it('moves a queued Batch job to running when Batch reports RUNNING, and ignores events of unknown jobs', async () => {
    const { handler } = await import('../../../../functions/handlers/batch-events');
    await env.stores.jobs.create(
      jobRecord({
        id: 'ftjob-evt1',
        tenantId: 't1',
        status: 'queued',
        provider: 'batch',
        providerJobId: 'batch-1',
      }),
    );
    const event = (jobId: string, batchJobId: string, status: string) =>
      ({
        version: '0',
        id: `evt-${batchJobId}-${status}`,
        source: 'aws.batch',
        'detail-type': 'Batch Job State Change',
        account: '123456789012',
        time: '2026-01-01T00:00:00Z',
        region: 'us-east-1',
        resources: [],
        detail: {
          jobId: batchJobId,
          jobName: `tuneplane-${jobId}`,
          status,
          tags: { 'tuneplane:job': jobId },
        },
      }) as never;

    expect(await handler(event('ftjob-evt1', 'batch-1', 'RUNNING'), context)).toBe('running');
    expect((await env.stores.jobs.getById('ftjob-evt1'))?.status).toBe('running');
    // At least once: the same event again changes nothing.
    expect(await handler(event('ftjob-evt1', 'batch-1', 'RUNNING'), context)).toBe('ignored_no_change');
    expect(await handler(event('ftjob-nope', 'batch-9', 'RUNNING'), context)).toBe('ignored_unknown_job');
    expect(await handler({ source: 'aws.ec2', detail: {} } as never, context)).toBe('ignored_malformed');
  });
});
