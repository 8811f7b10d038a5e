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
 * Backend: pure-JS TensorFlow.js on the cpu backend. runner/native's OpenBLAS kernels are a
 * node-gyp build against the machine's OpenBLAS and do not ship in a zip bundle; where a build
 * beside the bundle loads, they are used, and the one backend log line says which it is.
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
import { initBackend } from '../backend';
import { diskCachedBlobs, inProcessInference, InferenceServer } from '../serve';

/** The only paths this function serves; anything else belongs to the API. */
const SERVED = new Set(['/v1/chat/completions', '/v1/completions']);

const config = loadInferenceConfig(process.env);
const obs = createObservability('inference');
const stores = createDynamoStores(documentClientFor(config), config.tableName);
const blobs = new S3BlobStore(createS3Client(config), config.bucketName);
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
