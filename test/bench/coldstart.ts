/**
 * Cold start of the API Lambda, measured side by side with a bare Hono handler.
 *
 * Both are bundled with the stack's own esbuild options (infra/aws/bundling.ts). Each sample is a
 * fresh Node process (run with the Lambda's NODE_OPTIONS) that imports the bundle and answers one
 * API Gateway (HTTP API, payload 2.0) request; samples alternate between the variants so machine
 * noise hits all alike, and the median is reported. Two requests are measured:
 *
 *  - `ours`: `GET /v1/models` without a key, the same request the bare handler answers, with the
 *    same 401. Like for like: config parsed, clients and logger built, the whole middleware chain
 *    run, the error envelope rendered, and no I/O on either side. The last line reports this one,
 *    the comparison the goal is stated for. It does not load any route group: those load on their
 *    first request (functions/api/route-groups.ts), so this is the floor of our cold start.
 *  - `ours-auth`: the same bundle, pointed at an embedded DynamoDB (dynalite) and S3 (s3rver)
 *    started in this process, answers `GET /v1/fine_tuning/jobs` with a seeded API key and must get
 *    200: the key lookup (GetItem), the jobs route group loaded (zod, the contract's schemas, the
 *    jobs domain) and the job listing (Query) over HTTP on loopback — what a typical first request
 *    costs. It also includes dynalite's own handling of those calls (in this parent process),
 *    which real DynamoDB replaces with a network round trip. The bare handler does no such work,
 *    so this ratio is not like for like; it is printed so the typical case is never hidden.
 *
 * Run: npm run bench:coldstart  (SAMPLES=n to change the sample count)
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { esbuildOptions, lambdaNodeOptions } from '../../infra/aws/bundling';
import { handlerEntry, repoRoot } from '../../infra/aws/paths';
import { createApiKey } from '../../functions/domain/api-keys';
import { systemClock } from '../../functions/ports/clock';
import { runChild } from '../support/child';
import { startEmbedded, type Embedded } from '../support/embedded';

const SAMPLES = Number(process.env.SAMPLES ?? 9);
const workDir = join(repoRoot, 'node_modules', '.cache', 'tuneplane-coldstart');

const ENV = {
  AWS_REGION: 'eu-west-1',
  TUNEPLANE_TABLE: 'Tuneplane-StorageTable-BENCH',
  TUNEPLANE_BUCKET: 'tuneplane-storagebucket-bench',
  TUNEPLANE_BATCH_JOB_QUEUE: 'arn:aws:batch:eu-west-1:123456789012:job-queue/bench',
  TUNEPLANE_BATCH_JOB_DEFINITION: 'arn:aws:batch:eu-west-1:123456789012:job-definition/bench:1',
  TUNEPLANE_OPENAI_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:openai-AbCdEf',
  TUNEPLANE_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhook-AbCdEf',
  // Lambda sets these; they keep the SDK from looking for credentials elsewhere.
  AWS_ACCESS_KEY_ID: 'AKIDBENCH',
  AWS_SECRET_ACCESS_KEY: 'bench',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

const BARE_ENTRY = `
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
const app = new Hono();
app.get('/v1/models', (c) => c.json({ error: { message: 'Missing API key', type: 'invalid_request_error' } }, 401));
export const handler = handle(app);
`;

/** The sample: runs in a fresh process, prints one JSON line. */
const SAMPLE = `
const t0 = performance.now();
const mod = await import(process.env.BENCH_BUNDLE);
const t1 = performance.now();
const path = process.env.BENCH_PATH;
const headers = { host: 'api.example.com', accept: 'application/json' };
if (process.env.BENCH_AUTHORIZATION) headers.authorization = process.env.BENCH_AUTHORIZATION;
const event = {
  version: '2.0', routeKey: '$default', rawPath: path, rawQueryString: '',
  headers,
  requestContext: { accountId: '123456789012', apiId: 'bench', domainName: 'api.example.com', domainPrefix: 'api',
    http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'bench' },
    requestId: 'bench-req', routeKey: '$default', stage: '$default', time: '01/Jan/2026:00:00:00 +0000', timeEpoch: 0 },
  isBase64Encoded: false,
};
const context = { awsRequestId: 'bench-req', functionName: 'bench', functionVersion: '$LATEST', memoryLimitInMB: '1024',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:bench', logGroupName: 'bench', logStreamName: 'bench',
  getRemainingTimeInMillis: () => 29000, callbackWaitsForEmptyEventLoop: true };
const res = await mod.handler(event, context);
const t2 = performance.now();
process.stdout.write('\\n' + JSON.stringify({ importMs: t1 - t0, firstRequestMs: t2 - t1, totalMs: t2 - t0, status: res.statusCode }) + '\\n');
`;

interface Sample {
  totalMs: number;
  importMs: number;
  firstRequestMs: number;
  status: number;
}

/** What a sample process asks: the path, its extra environment and the status it must get. */
interface Request {
  path: string;
  env: Record<string, string>;
  authorization?: string;
  status: number;
}

const UNAUTHENTICATED: Request = { path: '/v1/models', env: {}, status: 401 };

interface Variant {
  name: string;
  bundle: string;
  /** What a cold start loads: the entry file and the chunks it imports statically. */
  bytes: number;
  /** Every file, incl. chunks loaded on first dynamic import only: what is deployed. */
  totalBytes: number;
  request: Request;
  samples: Sample[];
}

/** Bundled with the stack's options (`esbuildOptions`), plus a metafile to tell static from lazy chunks. */
async function bundle(name: string, entry: string): Promise<Variant> {
  const outdir = join(workDir, name);
  const result = await build({ ...esbuildOptions(entry, outdir), metafile: true });
  const outputs = result.metafile.outputs;
  const entryKey = Object.keys(outputs).find((k) => k.endsWith('/index.mjs'))!;
  const loaded = new Set<string>();
  const visit = (key: string) => {
    if (loaded.has(key)) return;
    loaded.add(key);
    for (const i of outputs[key].imports) if (!i.external && i.kind === 'import-statement') visit(i.path);
  };
  visit(entryKey);
  const sum = (keys: string[]) => keys.reduce((n, k) => n + outputs[k].bytes, 0);
  const modules = Object.keys(outputs).filter((k) => k.endsWith('.mjs'));
  const base = { bundle: join(outdir, 'index.mjs'), bytes: sum([...loaded]), totalBytes: sum(modules) };
  return { name, ...base, request: UNAUTHENTICATED, samples: [] };
}

/** One fresh process (asynchronously: the embedded stand-ins run in this event loop). */
async function sample(v: Variant): Promise<void> {
  const { code, stdout, stderr } = await runChild(
    process.execPath,
    [lambdaNodeOptions, '--input-type=module', '-e', SAMPLE],
    {
      PATH: process.env.PATH,
      ...ENV,
      ...v.request.env,
      BENCH_BUNDLE: pathToFileURL(v.bundle).href,
      BENCH_PATH: v.request.path,
      ...(v.request.authorization ? { BENCH_AUTHORIZATION: v.request.authorization } : {}),
    },
  );
  const last = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) {
    throw new Error(`${v.name} sample failed (exit ${code}):\n${stderr || stdout}`);
  }
  const result = JSON.parse(last) as Sample;
  if (result.status !== v.request.status) {
    throw new Error(
      `${v.name} sample answered ${result.status}, expected ${v.request.status} (GET ${v.request.path})`,
    );
  }
  v.samples.push(result);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The embedded stack plus one API key, stored the way the product creates keys. */
async function seedEmbedded(): Promise<{ embedded: Embedded; key: string }> {
  const embedded = await startEmbedded();
  try {
    const { key } = await createApiKey(
      { apiKeys: embedded.stores.apiKeys, clock: systemClock },
      { tenantId: 'bench', name: 'cold-start benchmark' },
    );
    return { embedded, key };
  } catch (err) {
    await embedded.stop();
    throw err;
  }
}

async function main(): Promise<void> {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  writeFileSync(join(workDir, 'bare-entry.ts'), BARE_ENTRY);

  const ours = await bundle('ours', handlerEntry('api'));
  const bare = await bundle('bare', join(workDir, 'bare-entry.ts'));

  const { embedded, key } = await seedEmbedded();
  try {
    const oursAuth: Variant = {
      ...ours,
      name: 'ours-auth',
      request: {
        path: '/v1/fine_tuning/jobs',
        env: embedded.env,
        authorization: `Bearer ${key}`,
        status: 200,
      },
      samples: [],
    };
    const variants = [ours, oursAuth, bare];

    for (let i = 0; i < SAMPLES; i++) for (const v of variants) await sample(v);

    report(variants, { ours, oursAuth, bare });
  } finally {
    await embedded.stop();
  }
}

function report(
  variants: Variant[],
  { ours, oursAuth, bare }: Record<'ours' | 'oursAuth' | 'bare', Variant>,
): void {
  const totalMs = (v: Variant) => median(v.samples.map((x) => x.totalMs));
  console.log(
    `cold start: import + first request, fresh Node ${process.version} process per sample, median of ${SAMPLES}`,
  );
  console.log(
    'bundle_bytes: what a cold start loads (entry + static chunks); deployed: all chunks incl. lazy ones',
  );
  console.log(
    'ours-auth: same bundle as ours, GET /v1/fine_tuning/jobs with a key, DynamoDB (dynalite) over HTTP on loopback',
  );
  console.log('variant            bundle_bytes     deployed  import_ms  first_req_ms  total_ms  status');
  for (const v of variants) {
    console.log(
      [
        v.name.padEnd(18),
        String(v.bytes).padStart(12),
        String(v.totalBytes).padStart(12),
        median(v.samples.map((x) => x.importMs))
          .toFixed(1)
          .padStart(9),
        median(v.samples.map((x) => x.firstRequestMs))
          .toFixed(1)
          .padStart(13),
        totalMs(v).toFixed(1).padStart(9),
        String(v.samples[0].status).padStart(7),
      ].join(' '),
    );
  }
  const bareMs = totalMs(bare);
  const unauthMs = totalMs(ours);
  const authMs = totalMs(oursAuth);
  const line = (label: string, ms: number) =>
    console.log(
      `${label}: ours_ms=${ms.toFixed(1)} bare_ms=${bareMs.toFixed(1)} ratio=${(ms / bareMs).toFixed(2)}`,
    );
  line('authenticated (200; route group loaded, 2 DynamoDB calls over HTTP; not like for like)', authMs);
  line('unauthenticated (401; the same request as bare: like for like)', unauthMs);
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(
    `goals: loaded at cold start < 1 MiB (${met(ours.bytes < 1024 * 1024)}; < 1,000,000 B ${met(ours.bytes < 1_000_000)}), ` +
      `within 2x bare Hono: like for like (401) ${met(unauthMs <= 2 * bareMs)}, authenticated ${met(authMs <= 2 * bareMs)}`,
  );
  // The summary compares like with like: both handlers answering the same request.
  console.log(
    `bundle_bytes=${ours.bytes} ours_ms=${unauthMs.toFixed(1)} bare_ms=${bareMs.toFixed(1)} ratio=${(unauthMs / bareMs).toFixed(2)}`,
  );
}

await main();
