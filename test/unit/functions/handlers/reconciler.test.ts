/**
 * The reconciler's entry point end to end: jobs in dynalite, AWS Batch as a loopback stand-in
 * speaking Batch's REST protocol (AWS_ENDPOINT_URL_BATCH), Secrets Manager as a loopback stand-in
 * holding the OpenAI secret as the stack creates it (empty key: OpenAI not configured).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBatchStandin, type BatchStandin } from '../../../support/batch-standin';
import { startEmbedded, type Embedded } from '../../../support/embedded';
import { fileRecord, jobRecord } from '../../../support/records';

const QUEUE = 'arn:aws:batch:us-east-1:123456789012:job-queue/tuneplane';
const JOBDEF = 'arn:aws:batch:us-east-1:123456789012:job-definition/runner:1';

let env: Embedded;
let batch: BatchStandin;
let secretsManager: Server;

beforeAll(async () => {
  env = await startEmbedded();
  batch = await startBatchStandin();
  secretsManager = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ ARN: 'x', Name: 'openai', SecretString: '{"apiKey":""}' }));
    });
  });
  await new Promise<void>((resolve) => secretsManager.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, env.env, {
    TUNEPLANE_BATCH_JOB_QUEUE: QUEUE,
    TUNEPLANE_BATCH_JOB_DEFINITION: JOBDEF,
    TUNEPLANE_OPENAI_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:openai-AbCdEf',
    AWS_ENDPOINT_URL_BATCH: batch.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(secretsManager.address() as AddressInfo).port}`,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
}, 60_000);

afterAll(async () => {
  await new Promise((r) => secretsManager?.close(r));
  await batch?.close();
  await env?.stop();
});

it('submits a Batch job whose submission was lost, then applies the state Batch reports', async () => {
  const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
  await env.stores.jobs.create(
    jobRecord({
      id: 'ftjob-lost',
      tenantId: 't1',
      provider: 'batch',
      status: 'queued',
      createdAt: tenMinutesAgo,
    }),
  );
  const { handler } = await import('../../../../functions/handlers/reconciler');
  const context = { awsRequestId: 'req-1', functionName: 'reconciler' } as Context;

  const first = await handler({} as ScheduledEvent, context);
  expect(first.batch.outcomes['ftjob-lost']).toBe('resubmitted');
  expect(first.openai).toEqual({}); // not configured: nothing polled
  const submit = batch.calls.find((c) => c.action === 'submitjob');
  expect(submit?.body).toMatchObject({ jobQueue: QUEUE, jobDefinition: JOBDEF });
  const job = await env.stores.jobs.getById('ftjob-lost');
  expect(job?.providerJobId).toBeTruthy();

  batch.setStatus(job!.providerJobId!, 'RUNNING');
  await handler({} as ScheduledEvent, context);
  expect((await env.stores.jobs.getById('ftjob-lost'))?.status).toBe('running');
});

it('deletes files past their expires_after, bytes first, and reports how many', async () => {
  const past = Math.floor(Date.now() / 1000) - 60;
  await env.blobs.put('files/t1/file-expired', 'bytes');
  await env.stores.files.put(
    fileRecord({ id: 'file-expired', tenantId: 't1', blobKey: 'files/t1/file-expired', expiresAt: past }),
  );
  await env.blobs.put('files/t1/file-kept', 'bytes');
  await env.stores.files.put(
    fileRecord({ id: 'file-kept', tenantId: 't1', blobKey: 'files/t1/file-kept', expiresAt: past + 3600 }),
  );
  const { handler } = await import('../../../../functions/handlers/reconciler');
  const result = await handler(
    {} as ScheduledEvent,
    { awsRequestId: 'req-2', functionName: 'reconciler' } as Context,
  );
  expect(result.expiredFiles).toBe(1);
  expect(await env.blobs.head('files/t1/file-expired')).toBeUndefined();
  expect(await env.blobs.head('files/t1/file-kept')).toBeDefined();
  expect(await env.stores.files.get('t1', 'file-kept')).toBeDefined();
});
