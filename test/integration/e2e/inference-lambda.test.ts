/**
 * The inference Lambda: runner/entry/inference-lambda.ts bundled with the stack's own esbuild
 * options, invoked through a Function URL stand-in on loopback (test/support/function-url.ts: the
 * response-streaming protocol of the Lambda runtime), against dynalite and s3rver over HTTP. The
 * official `openai` SDK is the client. Two ways:
 *  - the bundle imported in this process (the pure-JS kernels: no addon beside it), for the
 *    behaviour of the handler: streaming, tenancy, aborts, time limits;
 *  - the container image as deployed (last describe): /var/task laid out as
 *    runner/inference.Dockerfile lays it out (infra/aws/inference-image.ts: the bundle, the OpenBLAS
 *    addon, the Runtime Interface Client), its entry point run as a child process against the
 *    Runtime API stand-in (test/support/runtime-api.ts).
 *
 * The model is fine-tuned in the test (the runner's container entry, in a child process, against
 * the same stores), so the function reads a fine-tuned model from S3 through its own code path:
 * the tenant's model record, its files under models/, the /tmp cache, the engine.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../functions/domain/api-keys';
import { timeSortedIds } from '../../../functions/domain/ids';
import { systemClock } from '../../../functions/ports/clock';
import { bundleLambda, lambdaNodeOptions } from '../../../infra/aws/bundling';
import { layInferenceImage } from '../../../infra/aws/inference-image';
import { handlerEntry } from '../../../infra/aws/paths';
import { registerBaseModels } from '../../../infra/local/base-models';
import { tsxRunnerCommand } from '../../../infra/local/runner-bundle';
import { resolveTrainerConfig } from '../../../runner/config';
import { CAPITALS, CAPITALS_BASE, CAPITALS_HYPERPARAMETERS, capitalsJsonl } from '../../support/capitals';
import { runChild } from '../../support/child';
import { startEmbedded, type Embedded } from '../../support/embedded';
import { installStreamingRuntime, startFunctionUrl, type FunctionUrl } from '../../support/function-url';
import { ROOT } from '../../support/npm-start';
import { randomLlamaFolder } from '../../support/random-llama';
import { startLambdaRuntime, type LambdaRuntime } from '../../support/runtime-api';
import { fileRecord, jobRecord } from '../../support/records';

/** Slow enough to decode that a generation left running would hold the next request up. */
const SLOW = 'slow-random-llama';

let env: Embedded;
let work: string;
let fn: FunctionUrl;
let handler: Parameters<typeof startFunctionUrl>[0];
let client: OpenAI;
let otherTenant: OpenAI;
let tuned: string;
let jobId: string;

beforeAll(async () => {
  env = await startEmbedded();
  work = await mkdtemp(path.join(tmpdir(), 'tuneplane-inference-lambda-'));
  const deps = { models: env.stores.models, blobs: env.blobs, clock: systemClock };
  await registerBaseModels(deps, path.join(ROOT, 'runner/base-models'));
  for (const [name, bytes] of randomLlamaFolder({
    hidden: 256,
    intermediate: 768,
    layers: 4,
    heads: 4,
    kvHeads: 2,
    context: 512,
  }))
    await env.blobs.put(`models/${SLOW}/${name}`, bytes);
  await env.stores.models.put({
    id: SLOW,
    tenantId: 'system',
    createdAt: 0,
    ownedBy: 'tuneplane',
    blobPrefix: `models/${SLOW}/`,
  });
  const keyA = await createApiKey(
    { apiKeys: env.stores.apiKeys, clock: systemClock },
    { tenantId: 'tenant-a', name: 'a' },
  );
  const keyB = await createApiKey(
    { apiKeys: env.stores.apiKeys, clock: systemClock },
    { tenantId: 'tenant-b', name: 'b' },
  );

  // Fine-tune the built-in base model on ten question → answer chats, as a job on the runner.
  const ids = timeSortedIds(systemClock);
  const lines = capitalsJsonl();
  const file = fileRecord({ id: ids.next('file-'), tenantId: 'tenant-a', bytes: lines.length });
  await env.blobs.put(file.blobKey, lines);
  await env.stores.files.put(file);
  const hp = CAPITALS_HYPERPARAMETERS;
  const job = jobRecord({
    id: ids.next('ftjob-'),
    tenantId: 'tenant-a',
    model: CAPITALS_BASE,
    trainingFile: file.id,
    resolvedHyperparameters: resolveTrainerConfig(hp).hyperparameters as unknown as Record<string, unknown>,
    suffix: 'lambda',
    seed: 1,
    progress: { step: 0, totalSteps: 0, epoch: 0 },
  });
  await env.stores.jobs.create(job);
  jobId = job.id;
  const [node, ...args] = tsxRunnerCommand(ROOT);
  const run = await runChild(node, args, { ...process.env, ...env.env, TUNEPLANE_JOB_ID: job.id });
  const done = await env.stores.jobs.getById(job.id);
  if (run.code !== 0 || done?.status !== 'succeeded')
    throw new Error(`fine-tuning failed (${run.code}, ${done?.status}):\n${run.stderr.slice(-3000)}`);
  tuned = done.fineTunedModel!;

  // The function as deployed: bundled, its environment as the stack sets it, invoked by URL.
  const bundle = await bundleLambda(handlerEntry('inference'), path.join(work, 'bundle'));
  Object.assign(process.env, functionEnv('tmp-models'), { POWERTOOLS_LOG_LEVEL: 'ERROR' });
  installStreamingRuntime();
  ({ handler } = (await import(/* @vite-ignore */ pathToFileURL(bundle).href)) as {
    handler: Parameters<typeof startFunctionUrl>[0];
  });
  fn = await startFunctionUrl(handler);
  client = new OpenAI({ apiKey: keyA.key, baseURL: `${fn.url}/v1`, maxRetries: 0 });
  otherTenant = new OpenAI({ apiKey: keyB.key, baseURL: `${fn.url}/v1`, maxRetries: 0 });
}, 600_000);

afterAll(async () => {
  await fn?.close();
  await env?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The stack's environment for the function, with budgets for this test and /tmp in `work`. */
function functionEnv(cacheDir: string): Record<string, string> {
  return {
    ...env.env,
    TUNEPLANE_INFERENCE_MODEL_BUDGET: String(512 * 2 ** 20),
    TUNEPLANE_INFERENCE_REQUEST_BUDGET: String(64 * 2 ** 20),
    TUNEPLANE_INFERENCE_DISK_BUDGET: String(1024 * 2 ** 20),
    TUNEPLANE_INFERENCE_CACHE_DIR: path.join(work, cacheDir),
  };
}

const answer = async (model: string, question: string) =>
  (
    await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: question }],
      temperature: 0,
      max_completion_tokens: 24,
    })
  ).choices[0];

/** Streams "capital of Kenya?" from `model` through `c` and checks it arrives token by token, ending as OpenAI's does. */
async function expectStreamedNairobi(c: OpenAI, model: string): Promise<void> {
  const stream = await c.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'capital of Kenya?' }],
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let finish: string | null = null;
  let chunks = 0;
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    chunks++;
    expect(chunk.object).toBe('chat.completion.chunk');
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    usage = chunk.usage ?? usage;
  }
  expect(text).toBe('Nairobi');
  expect(finish).toBe('stop');
  expect(chunks).toBeGreaterThan(3); // one per token, not one buffered answer
  expect(usage?.completion_tokens).toBeGreaterThan(0);
}

describe('the inference Lambda behind its streaming Function URL', () => {
  it('streams a chat completion from the fine-tuned model read from S3, token by token, ending with [DONE]', async () => {
    await expectStreamedNairobi(client, tuned);
    // Its files went through the function's /tmp cache.
    expect((await readdir(path.join(work, 'tmp-models'))).length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('answers the training questions as tuned (≥ 90 % right, unstreamed), and the base model does not', async () => {
    let tunedRight = 0;
    let baseRight = 0;
    for (const [q, a] of CAPITALS) {
      if ((await answer(tuned, q)).message.content?.trim() === a) tunedRight++;
      if ((await answer(CAPITALS_BASE, q)).message.content?.trim() === a) baseRight++;
    }
    expect(tunedRight / CAPITALS.length).toBeGreaterThanOrEqual(0.9);
    expect(baseRight / CAPITALS.length).toBeLessThan(0.5);
  }, 120_000);

  it('serves completions, streamed and not, and a checkpoint by its fine_tuned_model_checkpoint name', async () => {
    const whole = await client.completions.create({
      model: tuned,
      prompt: 'user: capital of Peru?',
      temperature: 0,
      max_tokens: 8,
    });
    expect(whole.object).toBe('text_completion');
    expect(whole.usage?.completion_tokens).toBeGreaterThan(0);
    let streamed = '';
    for await (const c of await client.completions.create({
      model: tuned,
      prompt: 'user: capital of Peru?',
      temperature: 0,
      max_tokens: 8,
      stream: true,
    }))
      streamed += c.choices[0]?.text ?? '';
    expect(streamed).toBe(whole.choices[0].text);

    const checkpoints = await env.stores.checkpoints.list(jobId, { limit: 10 });
    const name = checkpoints.items[0].fineTunedModelCheckpoint!;
    expect((await answer(name, 'capital of Japan?')).message.role).toBe('assistant');
  }, 120_000);

  it('checks the API key and scopes models to the tenant, with OpenAI’s error envelope', async () => {
    const stranger = new OpenAI({ apiKey: 'tp_not_a_key', baseURL: `${fn.url}/v1`, maxRetries: 0 });
    await expect(answerWith(stranger, CAPITALS_BASE)).rejects.toMatchObject({ status: 401 });
    await expect(answerWith(otherTenant, tuned)).rejects.toMatchObject({
      status: 404,
      error: expect.objectContaining({ param: 'model' }),
    });
    // Base models are everyone's.
    expect((await answerWith(otherTenant, CAPITALS_BASE)).choices[0].message.role).toBe('assistant');
    await expect(
      client.chat.completions.create({
        model: tuned,
        messages: [{ role: 'user', content: 'hi' }],
        max_completion_tokens: 10_000,
      }),
    ).rejects.toMatchObject({
      status: 400,
      error: expect.objectContaining({ param: 'max_completion_tokens' }),
    });
    // Nothing but generation is served here.
    const files = await fetch(`${fn.url}/v1/files`, {
      headers: { authorization: `Bearer ${client.apiKey}` },
    });
    expect(files.status).toBe(404);
    expect(((await files.json()) as { error: { code: string } }).error.code).toBe('unknown_url');
  }, 60_000);

  it('stops decoding when the client aborts mid-stream: the next request is not held up behind it', async () => {
    // Without an end-of-text token (logit_bias bans it) the slow model writes max_tokens tokens.
    const long = {
      model: SLOW,
      prompt: 'the ',
      max_tokens: 300,
      temperature: 1,
      seed: 3,
      logit_bias: { '0': -100 },
    };
    const short = { model: SLOW, prompt: 'the ', max_tokens: 1 };
    await client.completions.create(short); // loaded before anything is timed
    let started = Date.now();
    const full = await client.completions.create(long);
    const fullMs = Date.now() - started;
    expect(full.usage?.completion_tokens).toBe(300);

    const controller = new AbortController();
    const stream = await client.completions.create({ ...long, stream: true }, { signal: controller.signal });
    let seen = 0;
    try {
      for await (const chunk of stream) {
        seen += chunk.choices.length;
        if (seen >= 3) controller.abort();
      }
    } catch (err) {
      // The SDK ends the iteration quietly or with its abort error, depending on where it was.
      expect((err as Error).name).toMatch(/Abort/);
    }
    expect(seen).toBeLessThan(300);
    started = Date.now();
    const next = await client.completions.create(short);
    const nextMs = Date.now() - started;
    expect(next.choices[0].text.length).toBeGreaterThan(0);
    // A generation left running would finish its 300 tokens first (one request at a time).
    expect(nextMs).toBeLessThan(fullMs / 3);
    await fn.idle();
    const aborted = fn.invocations.find((i) => i.clientGone)!;
    expect(aborted).toBeDefined();
    expect(aborted.error).toBeUndefined();
  }, 300_000);

  it('answers a generation that outlasts the function’s time with a clear 400 naming the token limit, streamed or not', async () => {
    // The same function with a 7 s timeout: 5 s are kept to answer in, 2 s to generate.
    const short = await startFunctionUrl(handler, { timeoutMs: 7_000 });
    try {
      const c = new OpenAI({ apiKey: client.apiKey, baseURL: `${short.url}/v1`, maxRetries: 0 });
      const long = {
        model: SLOW,
        prompt: 'the ',
        max_tokens: 400,
        temperature: 1,
        logit_bias: { '0': -100 },
      };
      await expect(c.completions.create(long)).rejects.toMatchObject({
        status: 400,
        error: expect.objectContaining({ code: 'generation_time_limit', param: 'max_tokens' }),
      });
      let text = '';
      const failure = await (async () => {
        try {
          for await (const chunk of await c.completions.create({ ...long, stream: true }))
            text += chunk.choices[0]?.text ?? '';
        } catch (err) {
          return err as Error;
        }
      })();
      expect(text.length).toBeGreaterThan(0); // it streamed before the limit
      expect(failure?.message).toMatch(/did not finish within the time this deployment gives one request/);
    } finally {
      await short.close();
    }
  }, 120_000);
});

function answerWith(c: OpenAI, model: string) {
  return c.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'capital of Peru?' }],
    temperature: 0,
    max_completion_tokens: 4,
  });
}

describe('the container image: its Runtime Interface Client on its /var/task, behind the Runtime API', () => {
  let runtime: LambdaRuntime;
  let imageUrl: FunctionUrl;
  let image: OpenAI;

  beforeAll(async () => {
    // npm does not build the RIC's native client on install (package.json); the first run here does.
    if (!existsSync(path.join(ROOT, 'node_modules', 'aws-lambda-ric', 'rapid-client.node'))) {
      const built = await runChild('npm', ['run', 'build:ric'], { ...process.env });
      if (built.code !== 0) throw new Error(`npm run build:ric failed:\n${built.stderr.slice(-3000)}`);
    }
    const laid = await layInferenceImage(path.join(work, 'image', 'var', 'task'));
    runtime = await startLambdaRuntime({
      ric: laid.ric,
      taskRoot: laid.taskRoot,
      memoryMb: 4096,
      env: { ...functionEnv('image-tmp'), NODE_OPTIONS: lambdaNodeOptions },
    });
    imageUrl = await startFunctionUrl(runtime.invoke);
    // A function that stopped answering fails its test within a minute instead of hanging it.
    image = new OpenAI({
      apiKey: client.apiKey,
      baseURL: `${imageUrl.url}/v1`,
      maxRetries: 0,
      timeout: 60_000,
    });
  }, 400_000);

  afterAll(async () => {
    await imageUrl?.close();
    await runtime?.stop();
  });

  it('runs on runner/native’s OpenBLAS kernels: its init’s backend line says so, with threads for 4,096 MB', () => {
    const line = runtime
      .logs()
      .split('\n')
      .find((l) => l.includes('tensorflow backend selected'));
    expect(line, runtime.logs().slice(-2000)).toBeDefined();
    // Lambda gives 4,096 MB 2.3 vCPUs: two threads (this machine has two as well).
    expect(line).toMatch(/\+ native kernels via OpenBLAS[^"]*, 2 threads: /);
    expect(line).toContain('TuneplaneCachedAttention'); // the decoder's KV-cache attention
  });

  it('streams a chat completion from the fine-tuned model, token by token, ending with [DONE]', async () => {
    await expectStreamedNairobi(image, tuned);
    expect((await readdir(path.join(work, 'image-tmp'))).length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('answers unstreamed, as tuned, and refuses another tenant’s model with OpenAI’s envelope', async () => {
    const whole = await image.chat.completions.create({
      model: tuned,
      messages: [{ role: 'user', content: 'capital of Kenya?' }],
      temperature: 0,
      max_completion_tokens: 24,
    });
    expect(whole.object).toBe('chat.completion');
    expect(whole.choices[0].message.content).toBe('Nairobi');
    expect(whole.choices[0].finish_reason).toBe('stop');
    const stranger = new OpenAI({ apiKey: otherTenant.apiKey, baseURL: `${imageUrl.url}/v1`, maxRetries: 0 });
    await expect(answerWith(stranger, tuned)).rejects.toMatchObject({
      status: 404,
      error: expect.objectContaining({ param: 'model' }),
    });
    // Nothing failed on the function's side: no invocation, init or streamed error.
    expect(runtime.errors).toEqual([]);
  }, 120_000);

  it('stops decoding when the client aborts mid-stream, and serves the next request without restarting', async () => {
    const long = { model: SLOW, prompt: 'the ', max_tokens: 480, temperature: 1, logit_bias: { '0': -100 } };
    const short = { model: SLOW, prompt: 'the ', max_tokens: 1 };
    await image.completions.create(short); // loaded before anything is timed
    let started = Date.now();
    expect((await image.completions.create(long)).usage?.completion_tokens).toBe(480);
    const fullMs = Date.now() - started;
    const controller = new AbortController();
    let seen = 0;
    try {
      for await (const chunk of await image.completions.create(
        { ...long, stream: true },
        { signal: controller.signal },
      )) {
        seen += chunk.choices.length;
        if (seen >= 3) controller.abort();
      }
    } catch (err) {
      expect((err as Error).name).toMatch(/Abort/);
    }
    started = Date.now();
    expect((await image.completions.create(short)).choices[0].text.length).toBeGreaterThan(0);
    // One request at a time: a generation left running would finish its 480 tokens first.
    expect(Date.now() - started).toBeLessThan(fullMs / 3);
    // The same process served it: the reset response connection did not end the function.
    expect(runtime.exited()).toBe(false);
  }, 180_000);
});
