/**
 * Lambda entry point: chat completions and completions on AWS. A Function URL in response-streaming
 * mode invokes it (CloudFront routes POST /v1/chat/completions and /v1/completions here;
 * infra/aws/constructs/inference.ts), and it answers with the same Hono app, middleware and routes
 * as the API — the same API keys, tenant scoping and error envelope — with the Inference port served
 * in this process by runner/serve: one request per instance at a time, which is Lambda's model.
 *
 * It lives in runner/entry, not functions/handlers, because it composes the generation engine
 * (runner/serve), which functions/ may not import; like serve.ts and eval-run.ts it is a
 * composition root of runner code and the service's adapters.
 *
 * Models: weights from S3 (models/ and checkpoints/ only: the function's grants), kept on /tmp
 * in a size-bounded LRU (runner/serve/disk-cache.ts) and loaded into runner/serve's in-memory LRU.
 * Backend: TensorFlow.js's cpu backend with runner/native's OpenBLAS kernels, which the container
 * image (runner/inference.Dockerfile, laid out by infra/aws/inference-image.ts) carries beside the
 * bundle; without them (a bundle run elsewhere) the pure-JS kernels. The one backend log line says
 * which, and with how many threads: as many as the vCPUs Lambda gives the function's memory.
 *
 * Config is parsed once at cold start (functions/config, InferenceEnvSchema); the backend starts
 * during init, at full CPU, before the first request.
 */
import { createDynamoStores, documentClientFor } from '../../functions/adapters/dynamodb';
import { createS3Client, S3BlobStore } from '../../functions/adapters/s3';
import { createApp } from '../../functions/api/app';
import { loadInferenceConfig } from '../../functions/config';
import { timeSortedIds } from '../../functions/domain/ids';
import { streamingHandler } from '../../functions/handlers/lib/response-stream';
import { appLogger, createObservability } from '../../functions/observability';
import { systemClock } from '../../functions/ports/clock';
import { InferenceFailure, type Inference } from '../../functions/ports/inference';
import os from 'node:os';
import { initBackend } from '../backend';
import { registerNativeKernels } from '../native';
import { diskCachedBlobs, inProcessInference, InferenceServer } from '../serve';

/** The only paths this function serves; anything else belongs to the API. */
const SERVED = new Set(['/v1/chat/completions', '/v1/completions']);

const config = loadInferenceConfig(process.env);
const obs = createObservability('inference');
const stores = createDynamoStores(documentClientFor(config), config.tableName);
const blobs = new S3BlobStore(createS3Client(config), config.bucketName);
registerNativeKernels({ threads: lambdaThreads(process.env), log: () => {} });
const backend = await initBackend({
  prefer: 'cpu',
  log: (line) => obs.logger.info('backend', JSON.parse(line)),
});
export const modelFiles = await diskCachedBlobs(blobs, {
  dir: config.cacheDir,
  budgetBytes: config.diskBudgetBytes,
});
export const server = new InferenceServer(modelFiles, {
  modelBudgetBytes: config.modelBudgetBytes,
  requestBudgetBytes: config.requestBudgetBytes,
  // Lambda sends an instance one request at a time.
  maxActive: 1,
});
/**
 * Threads for the native kernels: Lambda gives a function CPU in proportion to its memory (one
 * vCPU per 1,769 MB, six at 10,240 MB), and a pool larger than that share only time-slices it.
 * Registered before initBackend (registration is idempotent) so that its one backend log line
 * reports this count. Off Lambda (no AWS_LAMBDA_FUNCTION_MEMORY_SIZE), the machine's CPUs.
 */
export function lambdaThreads(env: NodeJS.ProcessEnv): number {
  const memoryMb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  const cpus = os.availableParallelism();
  if (!Number.isFinite(memoryMb) || memoryMb <= 0) return cpus;
  return Math.max(1, Math.min(cpus, Math.round(memoryMb / 1769)));
}

/** When this invocation's time runs out (Lambda's deadline less a margin to answer in). */
let deadline = Infinity;
const ANSWER_MARGIN_MS = 5_000;

/**
 * A generation still running at the deadline is stopped and answered with a clear 400 naming the
 * token limit (an error event if the stream had started) instead of being cut off by the timeout.
 */
function withDeadline(inference: Inference): Inference {
  return {
    async generate(job, onEvent, signal) {
      const stop = new AbortController();
      signal?.addEventListener('abort', () => stop.abort(), { once: true });
      let timedOut = false;
      const timer = setTimeout(
        () => {
          timedOut = true;
          stop.abort();
        },
        Math.max(0, deadline - Date.now()),
      );
      try {
        await inference.generate(job, onEvent, stop.signal);
      } finally {
        clearTimeout(timer);
      }
      if (timedOut && !signal?.aborted)
        throw new InferenceFailure({
          status: 400,
          code: 'generation_time_limit',
          message:
            'The generation did not finish within the time this deployment gives one request ' +
            `(the inference function's timeout). Ask for fewer tokens with ${job.params.maxTokensParam}.`,
          param: job.params.maxTokensParam,
        });
    },
  };
}

/**
 * A client that goes away mid-stream makes the service close the function's response connection.
 * The Runtime Interface Client (aws-lambda-ric 4) then rejects promises of its own that nothing
 * awaits (the response stream's), and Node would end the process on them: the instance would be
 * replaced and the next request would pay a cold start, model load included. Those rejections
 * (the connection reset under the response) are logged and let go; any other still ends the process.
 */
process.on('unhandledRejection', (reason) => {
  const code = (reason as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    obs.logger.warn('response connection closed before the response ended', { code });
    return;
  }
  throw reason;
});

const app = createApp({
  stores,
  blobs,
  clock: systemClock,
  ids: timeSortedIds(systemClock),
  logger: appLogger(obs.logger),
  inference: withDeadline(inProcessInference(server)),
});

export const handler = streamingHandler(async (request, context) => {
  deadline = Date.now() + context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS;
  const path = new URL(request.url).pathname;
  if (!SERVED.has(path))
    return Response.json(
      {
        error: {
          message: `Unknown request URL: ${request.method} ${path}. This function serves POST /v1/chat/completions and /v1/completions only.`,
          type: 'invalid_request_error',
          param: null,
          code: 'unknown_url',
        },
      },
      { status: 404 },
    );
  obs.logger.resetKeys();
  obs.logger.appendKeys({ backend: backend.backend, modelsLoaded: server.models.loaded().length });
  try {
    return await app.fetch(request);
  } finally {
    obs.flush();
  }
});
