/**
 * Cold start of the API Lambda, measured side by side with a bare Hono handler.
 *
 * Both are bundled with the stack's own esbuild options (infra/aws/bundling.ts). Each sample is a
 * fresh Node process that imports the bundle and answers one API Gateway (HTTP API, payload 2.0)
 * request: `GET /v1/models` without a key, which runs our whole middleware chain to a 401 and
 * touches no AWS service. Samples alternate between the variants so machine noise hits both alike;
 * the median is reported. A third variant leaves the AWS SDK to the Lambda runtime, to show what
 * bundling it costs or saves (here that SDK is resolved from node_modules, as the runtime resolves
 * its own from /var/runtime/node_modules).
 *
 * Run: npm run bench:coldstart  (SAMPLES=n to change the sample count)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { esbuildOptions, lambdaNodeOptions } from '../../infra/aws/bundling';
import { handlerEntry, repoRoot } from '../../infra/aws/paths';

const SAMPLES = Number(process.env.SAMPLES ?? 9);
// Inside the repo, so `@aws-sdk/*` left external resolves from node_modules.
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
const event = {
  version: '2.0', routeKey: '$default', rawPath: '/v1/models', rawQueryString: '',
  headers: { host: 'api.example.com', accept: 'application/json' },
  requestContext: { accountId: '123456789012', apiId: 'bench', domainName: 'api.example.com', domainPrefix: 'api',
    http: { method: 'GET', path: '/v1/models', protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'bench' },
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

interface Variant {
  name: string;
  bundle: string;
  /** What a cold start loads: the entry file and the chunks it imports statically. */
  bytes: number;
  /** Every file, incl. chunks loaded on first dynamic import only: what is deployed. */
  totalBytes: number;
  samples: { totalMs: number; importMs: number; firstRequestMs: number; status: number }[];
}

/** Bundled with the stack's options (`esbuildOptions`), plus a metafile to tell static from lazy chunks. */
async function bundle(name: string, entry: string, external?: string[]): Promise<Variant> {
  const outdir = join(workDir, name);
  const result = await build({ ...esbuildOptions(entry, outdir), ...(external ? { external } : {}), metafile: true });
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
  return { name, bundle: join(outdir, 'index.mjs'), bytes: sum([...loaded]), totalBytes: sum(modules), samples: [] };
}

function sample(v: Variant): void {
  const run = spawnSync(process.execPath, [lambdaNodeOptions, '--input-type=module', '-e', SAMPLE], {
    env: { PATH: process.env.PATH, ...ENV, BENCH_BUNDLE: pathToFileURL(v.bundle).href },
    encoding: 'utf8',
  });
  const last = run.stdout.trim().split('\n').pop() ?? '';
  if (run.status !== 0 || !last.startsWith('{')) {
    throw new Error(`${v.name} sample failed (exit ${run.status}):\n${run.stderr || run.stdout}`);
  }
  v.samples.push(JSON.parse(last));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  writeFileSync(join(workDir, 'bare-entry.ts'), BARE_ENTRY);

  const ours = await bundle('ours', handlerEntry('api'));
  const bare = await bundle('bare', join(workDir, 'bare-entry.ts'));
  const sdkExternal = await bundle('ours-sdk-external', handlerEntry('api'), ['@aws-sdk/*']);
  const variants = [ours, bare, sdkExternal];

  for (let i = 0; i < SAMPLES; i++) for (const v of variants) sample(v);

  console.log(`cold start: import + first request, fresh Node ${process.version} process per sample, median of ${SAMPLES}`);
  console.log('bundle_bytes: what a cold start loads (entry + static chunks); deployed: all chunks incl. lazy ones');
  console.log('variant            bundle_bytes     deployed  import_ms  first_req_ms  total_ms  status');
  for (const v of variants) {
    console.log(
      [
        v.name.padEnd(18),
        String(v.bytes).padStart(12),
        String(v.totalBytes).padStart(12),
        median(v.samples.map((x) => x.importMs)).toFixed(1).padStart(9),
        median(v.samples.map((x) => x.firstRequestMs)).toFixed(1).padStart(13),
        median(v.samples.map((x) => x.totalMs)).toFixed(1).padStart(9),
        String(v.samples[0].status).padStart(7),
      ].join(' '),
    );
  }
  const oursMs = median(ours.samples.map((x) => x.totalMs));
  const bareMs = median(bare.samples.map((x) => x.totalMs));
  console.log(`goals: loaded at cold start < 1 MiB (${ours.bytes < 1024 * 1024 ? 'met' : 'NOT met'}; < 1,000,000 B ${ours.bytes < 1_000_000 ? 'met' : 'NOT met'}), within 2x bare Hono (${oursMs <= 2 * bareMs ? 'met' : 'NOT met'})`);
  console.log(`bundle_bytes=${ours.bytes} ours_ms=${oursMs.toFixed(1)} bare_ms=${bareMs.toFixed(1)} ratio=${(oursMs / bareMs).toFixed(2)}`);
}

await main();
