/**
 * The API Lambda's access log: one Powertools JSON line per request in the function's log
 * (stdout), carrying the id the response's x-request-id shows, the tenant, the route pattern, the
 * status and the time, next to Lambda's own request id.
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiKey } from '../../../../functions/domain/api-keys';
import { systemClock } from '../../../../functions/ports/clock';
import { startEmbedded, type Embedded } from '../../../support/embedded';
import { httpEvent } from '../../../support/lambda-events';

const context = {
  awsRequestId: 'lambda-req-7',
  functionName: 'api',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:api',
  memoryLimitInMB: '512',
  logGroupName: 'g',
  logStreamName: 's',
  getRemainingTimeInMillis: () => 10_000,
  callbackWaitsForEmptyEventLoop: true,
} as unknown as Context;

let env: Embedded;
beforeAll(async () => {
  env = await startEmbedded();
  Object.assign(process.env, env.env, {
    TUNEPLANE_BATCH_JOB_QUEUE: 'arn:aws:batch:us-east-1:123456789012:job-queue/q',
    TUNEPLANE_BATCH_JOB_DEFINITION: 'arn:aws:batch:us-east-1:123456789012:job-definition/runner:1',
    TUNEPLANE_OPENAI_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:openai-AbCdEf',
    TUNEPLANE_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
}, 60_000);
afterAll(() => env?.stop());

it('writes one JSON access-log line per request, with the response’s request id', async () => {
  const { handler } = await import('../../../../functions/handlers/api');
  const { key } = await createApiKey(
    { apiKeys: env.stores.apiKeys, clock: systemClock },
    { tenantId: 't-logs', name: 'k' },
  );
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    lines.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
  let res;
  try {
    res = await handler(
      httpEvent('GET', '/v1/fine_tuning/jobs/ftjob-missing', { authorization: `Bearer ${key}` }) as never,
      context,
    );
  } finally {
    process.stdout.write = write;
  }
  expect(res.statusCode).toBe(404);
  const requestId = res.headers?.['x-request-id'];
  expect(requestId).toMatch(/^req_[0-9a-f]{32}$/);
  const entries = lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const access = entries.filter((e) => e.message === 'request');
  expect(access).toHaveLength(1);
  expect(access[0]).toMatchObject({
    level: 'INFO',
    request_id: requestId,
    tenant: 't-logs',
    method: 'GET',
    route: '/v1/fine_tuning/jobs/:fine_tuning_job_id',
    status: 404,
    function_request_id: 'lambda-req-7',
  });
  expect(access[0].ms).toBeTypeOf('number');
});
