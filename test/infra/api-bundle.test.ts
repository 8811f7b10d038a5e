/**
 * The API Lambda as deployed: bundled with the stack's own esbuild options (code splitting, the
 * config's private zod/mini, lazily loaded route groups and S3 client), then run in a fresh Node
 * process with the Lambda's NODE_OPTIONS, answering API Gateway events against dynalite and
 * s3rver over HTTP. The handler tests run the sources through tsx; only this runs the bundle.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLambda, lambdaNodeOptions } from '../../infra/aws/bundling';
import { handlerEntry } from '../../infra/aws/paths';
import { createApiKey } from '../../functions/domain/api-keys';
import { systemClock } from '../../functions/ports/clock';
import { runChild } from '../support/child';
import { startEmbedded, type Embedded } from '../support/embedded';
import { fileUploadEvent, httpEvent, TRAINING_JSONL } from '../support/lambda-events';

const STACK_ENV = {
  TUNEPLANE_BATCH_JOB_QUEUE: 'arn:aws:batch:us-east-1:123456789012:job-queue/q',
  TUNEPLANE_BATCH_JOB_DEFINITION: 'arn:aws:batch:us-east-1:123456789012:job-definition/runner:1',
  TUNEPLANE_OPENAI_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:openai-AbCdEf',
  TUNEPLANE_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

/** Runs in the child: imports the bundle, hands it each event in turn, prints the responses. */
const RUN_EVENTS = `
const { handler } = await import(process.env.BUNDLE);
const context = { awsRequestId: 'r', functionName: 'api', getRemainingTimeInMillis: () => 10000 };
const out = [];
for (const event of JSON.parse(process.env.EVENTS)) out.push(await handler(event, context));
process.stdout.write('\\n' + JSON.stringify(out) + '\\n');
`;

interface Answer {
  statusCode: number;
  body: string;
  isBase64Encoded?: boolean;
}

async function runBundle(
  env: Record<string, string>,
  events: object[],
): Promise<{ code: number | null; answers: Answer[]; stderr: string }> {
  const { code, stdout, stderr } = await runChild(
    process.execPath,
    [lambdaNodeOptions, '--input-type=module', '-e', RUN_EVENTS],
    {
      PATH: process.env.PATH,
      ...env,
      BUNDLE: pathToFileURL(bundle).href,
      EVENTS: JSON.stringify(events),
    },
  );
  const last = stdout.trim().split('\n').pop() ?? '';
  return { code, answers: code === 0 ? (JSON.parse(last) as Answer[]) : [], stderr };
}

let outDir: string;
let bundle: string;
let embedded: Embedded;
let key: string;
beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'tuneplane-api-bundle-'));
  bundle = await bundleLambda(handlerEntry('api'), outDir);
  embedded = await startEmbedded();
  ({ key } = await createApiKey(
    { apiKeys: embedded.stores.apiKeys, clock: systemClock },
    { tenantId: 'tb', name: 'bundle' },
  ));
}, 120_000);
afterAll(async () => {
  await embedded?.stop();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('the bundled API Lambda', () => {
  it('is split into a small entry and chunks loaded on demand', async () => {
    const chunks = await readdir(join(outDir, 'chunks'));
    expect(chunks.filter((f) => f.endsWith('.mjs')).length).toBeGreaterThan(3);
    expect((await stat(bundle)).size).toBeLessThan(1_000_000);
  });

  it('serves a 401, an authenticated listing and a file round trip through S3, loading its chunks as needed', async () => {
    const auth = { authorization: `Bearer ${key}` };
    const upload = await fileUploadEvent(auth);
    const run = await runBundle({ ...embedded.env, ...STACK_ENV }, [
      httpEvent('GET', '/v1/models'),
      httpEvent('GET', '/v1/fine_tuning/jobs', auth),
      upload,
      httpEvent('GET', '/v1/files', auth),
    ]);
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.code).toBe(0);
    const [anonymous, jobs, created, files] = run.answers;
    expect(anonymous.statusCode).toBe(401);
    expect(JSON.parse(anonymous.body).error).toMatchObject({
      type: 'authentication_error',
      code: 'invalid_api_key',
    });
    expect(jobs.statusCode).toBe(200);
    expect(JSON.parse(jobs.body)).toMatchObject({ object: 'list', data: [], has_more: false });
    expect(created.statusCode).toBe(200);
    const file = JSON.parse(created.body);
    expect(file).toMatchObject({ object: 'file', bytes: TRAINING_JSONL.length });
    expect(JSON.parse(files.body).data.map((f: { id: string }) => f.id)).toEqual([file.id]);
    expect(Buffer.from(await embedded.blobs.get(`files/tb/${file.id}`)).toString()).toBe(TRAINING_JSONL);
  }, 60_000);

  it('documents chat completions and completions in /openapi.json, which the inference Lambda serves', async () => {
    const run = await runBundle({ ...embedded.env, ...STACK_ENV }, [httpEvent('GET', '/openapi.json')]);
    expect(run.code).toBe(0);
    const paths = Object.keys(JSON.parse(run.answers[0].body).paths);
    expect(paths).toEqual(expect.arrayContaining(['/v1/chat/completions', '/v1/completions', '/v1/files']));
  }, 60_000);

  it('refuses to start on a bad environment, naming each variable and its rule', async () => {
    const run = await runBundle(
      { ...embedded.env, ...STACK_ENV, TUNEPLANE_TABLE: 'x', TUNEPLANE_BUCKET: 'Not_A_Bucket' },
      [httpEvent('GET', '/v1/models')],
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('TUNEPLANE_TABLE: must be a DynamoDB table name');
    expect(run.stderr).toContain('TUNEPLANE_BUCKET: must be an S3 bucket name');
  }, 60_000);
});
