/**
 * The inference Lambda's start-up and first token, measured in-process on this machine: the bundle
 * the stack deploys (runner/entry/inference-lambda.ts, esbuild with the stack's options) imported
 * as the Lambda runtime would (its init: config, clients, the cpu backend), then invoked through
 * the Function URL stand-in (test/support/function-url.ts) against dynalite and s3rver, with the
 * `openai` SDK streaming a completion. The model is a random Llama in the Hugging Face layout
 * (d_model 256, 4 layers, 4 heads / 2 key-value heads, MLP 768, context 512: 13 MB of weights).
 *
 *   init        importing the bundle: module evaluation, config, backend (Lambda's INIT phase)
 *   ttft cold   first streamed token of the first request: the model from S3 through /tmp into
 *               memory, the prompt's prefill, one token
 *   ttft warm   the same request again, model in memory
 *   decode      tokens per second after the first, warm
 *
 * Not measured: Lambda's own start (download and unpack of the ~7 MB bundle, the runtime), and S3
 * in a region (s3rver is on loopback). Lambda gives one vCPU at 1,769 MB; this machine's core speed
 * differs.
 *
 * Last line: init_ms=… ttft_cold_ms=… ttft_warm_ms=… decode_tps=…
 *
 *   npm run bench:inference-lambda -- [--tokens N (default 64)]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import { createApiKey } from '../../functions/domain/api-keys';
import { systemClock } from '../../functions/ports/clock';
import { bundleLambda } from '../../infra/aws/bundling';
import { handlerEntry } from '../../infra/aws/paths';
import { startEmbedded } from '../support/embedded';
import { installStreamingRuntime, startFunctionUrl } from '../support/function-url';
import { randomLlamaFolder } from '../support/random-llama';

const i = process.argv.indexOf('--tokens');
const TOKENS = i > 0 ? Number(process.argv[i + 1]) : 64;
const MODEL = 'bench-llama';
const PROMPT = 'the quick brown fox jumps over the lazy dog; '.repeat(3).slice(0, 128);

const env = await startEmbedded();
const work = await mkdtemp(path.join(tmpdir(), 'tuneplane-bench-lambda-'));
try {
  const folder = randomLlamaFolder({
    hidden: 256,
    intermediate: 768,
    layers: 4,
    heads: 4,
    kvHeads: 2,
    context: 512,
  });
  for (const [name, bytes] of folder) await env.blobs.put(`models/${MODEL}/${name}`, bytes);
  await env.stores.models.put({
    id: MODEL,
    tenantId: 'system',
    createdAt: 0,
    ownedBy: 'tuneplane',
    blobPrefix: `models/${MODEL}/`,
  });
  const { key } = await createApiKey(
    { apiKeys: env.stores.apiKeys, clock: systemClock },
    { tenantId: 't', name: 'bench' },
  );
  const bundle = await bundleLambda(handlerEntry('inference'), path.join(work, 'bundle'));
  Object.assign(process.env, env.env, {
    TUNEPLANE_INFERENCE_MODEL_BUDGET: String(1024 * 2 ** 20),
    TUNEPLANE_INFERENCE_REQUEST_BUDGET: String(256 * 2 ** 20),
    TUNEPLANE_INFERENCE_DISK_BUDGET: String(3072 * 2 ** 20),
    TUNEPLANE_INFERENCE_CACHE_DIR: path.join(work, 'tmp-models'),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  installStreamingRuntime();
  const t = performance.now();
  const { handler } = (await import(pathToFileURL(bundle).href)) as {
    handler: Parameters<typeof startFunctionUrl>[0];
  };
  const initMs = performance.now() - t;
  const fn = await startFunctionUrl(handler);
  const client = new OpenAI({ apiKey: key, baseURL: `${fn.url}/v1`, maxRetries: 0 });

  const run = async () => {
    const start = performance.now();
    let first = 0;
    let tokens = 0;
    const stream = await client.completions.create({
      model: MODEL,
      prompt: PROMPT,
      max_tokens: TOKENS,
      temperature: 0,
      logit_bias: { '0': -100 },
      stream: true,
    });
    for await (const c of stream) {
      if (!c.choices[0]?.text) continue;
      tokens++;
      if (!first) first = performance.now();
    }
    const end = performance.now();
    return { ttftMs: first - start, decodeTps: (tokens - 1) / ((end - first) / 1000), tokens };
  };
  const cold = await run();
  const warm = await run();
  await fn.close();
  const mb = (folder.get('model.safetensors')!.byteLength / 2 ** 20).toFixed(1);
  console.log(
    `bundle imported in ${initMs.toFixed(0)} ms; model ${mb} MB of weights; ${warm.tokens} tokens a request`,
  );
  console.log(
    `cold: first token after ${cold.ttftMs.toFixed(0)} ms; warm: ${warm.ttftMs.toFixed(0)} ms, then ${warm.decodeTps.toFixed(1)} tokens/s`,
  );
  console.log(
    `init_ms=${initMs.toFixed(0)} ttft_cold_ms=${cold.ttftMs.toFixed(0)} ttft_warm_ms=${warm.ttftMs.toFixed(0)} decode_tps=${warm.decodeTps.toFixed(1)}`,
  );
} finally {
  await env.stop();
  await rm(work, { recursive: true, force: true });
}
