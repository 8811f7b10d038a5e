/**
 * The inference Lambda's start-up, first token and decoding speed, measured on this machine, for
 * its two builds side by side in one run:
 *
 *   native   the container image as deployed: /var/task laid out as runner/inference.Dockerfile
 *            lays it out (infra/aws/inference-image.ts: the bundle, runner/native's OpenBLAS addon,
 *            the Runtime Interface Client)
 *   pure-js  the same layout without the addon: TensorFlow.js's JavaScript kernels, what the zip
 *            function ran
 *
 * Each runs as the image runs it: the RIC's entry point in a child process polling the Runtime API
 * stand-in (test/support/runtime-api.ts), invoked through the Function URL stand-in
 * (test/support/function-url.ts) against dynalite and s3rver, with the `openai` SDK streaming a
 * completion. One after the other, never at once, so neither takes the other's CPU. The model is a
 * random Llama in the Hugging Face layout (d_model 256, 4 layers, 4 heads / 2 key-value heads,
 * MLP 768, context 512: 13 MB of weights); `--large` uses d_model 768, 8 layers, 12 / 4 heads,
 * MLP 2,048, context 1,024 (193 MB).
 *
 *   init        from starting the process to its first poll: module evaluation, config, backend
 *               (Lambda's INIT phase)
 *   ttft cold   first streamed token of the first request: the model from S3 through /tmp into
 *               memory, the prompt's prefill, one token
 *   ttft warm   the same request again, model in memory
 *   decode      tokens per second after the first, warm
 *
 * The function's memory is given as 4,096 MB (two native threads; inference-lambda.ts), unless
 * `--memory N`. Not measured: Lambda's own start (pulling the image), and S3 in a region (s3rver is
 * on loopback). Lambda gives one vCPU per 1,769 MB; this machine's cores differ from Graviton's.
 *
 * Last line: decode_tps_native=… decode_tps_purejs=… ratio=… ttft_warm_ms_native=… ttft_warm_ms_purejs=…
 *
 *   npm run bench:inference-lambda -- [--tokens N (default 64)] [--memory MB] [--large]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { createApiKey } from '../../functions/domain/api-keys';
import { systemClock } from '../../functions/ports/clock';
import { lambdaNodeOptions } from '../../infra/aws/bundling';
import { layInferenceImage } from '../../infra/aws/inference-image';
import { startEmbedded } from '../support/embedded';
import { startFunctionUrl } from '../support/function-url';
import { randomLlamaFolder } from '../support/random-llama';
import { startLambdaRuntime } from '../support/runtime-api';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const TOKENS = Number(arg('--tokens') ?? 64);
const MEMORY_MB = Number(arg('--memory') ?? 4096);
const LARGE = process.argv.includes('--large');
const MODEL = 'bench-llama';
const PROMPT = 'the quick brown fox jumps over the lazy dog; '.repeat(3).slice(0, 128);

interface Figures {
  initMs: number;
  ttftColdMs: number;
  ttftWarmMs: number;
  decodeTps: number;
  tokens: number;
  backend: string;
}

const env = await startEmbedded();
const work = await mkdtemp(path.join(tmpdir(), 'tuneplane-bench-lambda-'));
try {
  const folder = randomLlamaFolder(
    LARGE
      ? { hidden: 768, intermediate: 2048, layers: 8, heads: 12, kvHeads: 4, context: 1024 }
      : { hidden: 256, intermediate: 768, layers: 4, heads: 4, kvHeads: 2, context: 512 },
  );
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

  const measure = async (variant: 'native' | 'pure-js'): Promise<Figures> => {
    const laid = await layInferenceImage(path.join(work, variant, 'var', 'task'), {
      pureJs: variant === 'pure-js',
    });
    const t = performance.now();
    const runtime = await startLambdaRuntime({
      ric: laid.ric,
      taskRoot: laid.taskRoot,
      memoryMb: MEMORY_MB,
      env: {
        ...env.env,
        TUNEPLANE_INFERENCE_MODEL_BUDGET: String(1024 * 2 ** 20),
        TUNEPLANE_INFERENCE_REQUEST_BUDGET: String(256 * 2 ** 20),
        TUNEPLANE_INFERENCE_DISK_BUDGET: String(3072 * 2 ** 20),
        TUNEPLANE_INFERENCE_CACHE_DIR: path.join(work, variant, 'tmp-models'),
        NODE_OPTIONS: lambdaNodeOptions,
      },
    });
    const initMs = performance.now() - t;
    const fn = await startFunctionUrl(runtime.invoke);
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
    try {
      const cold = await run();
      const warm = await run();
      const line = runtime
        .logs()
        .split('\n')
        .find((l) => l.includes('tensorflow backend selected'));
      const description = line ? String((JSON.parse(line) as { description?: string }).description) : '?';
      return {
        initMs,
        ttftColdMs: cold.ttftMs,
        ttftWarmMs: warm.ttftMs,
        decodeTps: warm.decodeTps,
        tokens: warm.tokens,
        backend: description.replace(/: [^:]*$/, ''),
      };
    } finally {
      await fn.close();
      await runtime.stop();
    }
  };

  const native = await measure('native');
  const pureJs = await measure('pure-js');
  const mb = (folder.get('model.safetensors')!.byteLength / 2 ** 20).toFixed(1);
  console.log(
    `model ${mb} MB of weights; ${native.tokens} tokens a request; function memory ${MEMORY_MB} MB`,
  );
  for (const [name, f] of [
    ['native', native],
    ['pure-js', pureJs],
  ] as const)
    console.log(
      `${name.padEnd(8)} init ${f.initMs.toFixed(0)} ms; first token cold ${f.ttftColdMs.toFixed(0)} ms, ` +
        `warm ${f.ttftWarmMs.toFixed(0)} ms; then ${f.decodeTps.toFixed(1)} tokens/s  (${f.backend})`,
    );
  console.log(
    `decode_tps_native=${native.decodeTps.toFixed(1)} decode_tps_purejs=${pureJs.decodeTps.toFixed(1)} ` +
      `ratio=${(native.decodeTps / pureJs.decodeTps).toFixed(2)} ` +
      `ttft_warm_ms_native=${native.ttftWarmMs.toFixed(0)} ttft_warm_ms_purejs=${pureJs.ttftWarmMs.toFixed(0)} ` +
      `ttft_cold_ms_native=${native.ttftColdMs.toFixed(0)} ttft_cold_ms_purejs=${pureJs.ttftColdMs.toFixed(0)} ` +
      `init_ms_native=${native.initMs.toFixed(0)} init_ms_purejs=${pureJs.initMs.toFixed(0)}`,
  );
} finally {
  await env.stop();
  await rm(work, { recursive: true, force: true });
}
