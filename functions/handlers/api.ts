/**
 * Lambda entry point: the HTTP API. API Gateway (HTTP API, payload 2.0) → `hono/aws-lambda` →
 * the Hono app from `createApp`, wired to DynamoDB, S3, AWS Batch and (lazily) OpenAI.
 *
 * Composition root: config is parsed once at cold start, during the init phase (which runs at
 * full CPU); secrets are fetched on first use and cached (functions/config/secrets.ts).
 */
import type { Context } from 'aws-lambda';
import type OpenAI from 'openai';
import { handle, type LambdaEvent } from 'hono/aws-lambda';
import { cachedSecret, decodeOpenAiSecret, decodeWebhookMasterKey, loadApiConfig } from '../config';
import {
  DynamoEvalStore,
  DynamoSweepStore,
  createDynamoStores,
  documentClientFor,
} from '../adapters/dynamodb';
import { ownModelSampler } from '../domain/evals/own-models';
import { stopCanceledRun, submitQueuedRun } from '../domain/evals/runs/dispatch';
import { lazyS3BlobStore } from '../adapters/s3/lazy';
import { createDynamoWebhookStores } from '../adapters/dynamodb/webhooks';
import { webhookUrlChecker } from '../adapters/http';
import { openAiWebhookJobId } from '../adapters/openai/webhook';
import { createApp } from '../api/app';
import type { ProviderWebhookDeps } from '../api/deps';
import { timeSortedIds } from '../domain/ids';
import { appLogger, createObservability } from '../observability';
import { systemClock } from '../ports/clock';
import { lazyBatchDispatcher } from './lib/batch';
import { lazyOpenAi } from './lib/openai';
import { secretsManagerReader } from './lib/secrets-manager';
import { loadableSecretBox } from './lib/webhook-secret-box';

const config = loadApiConfig(process.env);
const obs = createObservability('api');
const doc = documentClientFor(config);
const stores = createDynamoStores(doc, config.tableName);
// Loaded on first use: most requests (keys, jobs, events) never touch S3.
const blobs = lazyS3BlobStore(config, config.bucketName);
const secrets = secretsManagerReader(config.region);
const openAiSecret = cachedSecret(secrets, config.openAiSecretArn, decodeOpenAiSecret);
const webhookSecrets = loadableSecretBox(
  cachedSecret(secrets, config.webhookSecretArn, decodeWebhookMasterKey),
);
const openai = lazyOpenAi(openAiSecret, { files: stores.files, blobs });
/**
 * OpenAI's webhooks (POST /v1/providers/openai/webhook), verified with the webhook secret from
 * Secrets Manager (fetched on first use, cached). Verifying needs no API key; with no webhook
 * secret configured, verification fails and the route answers 400.
 */
let webhookClient: { client: OpenAI; apiKey: string } | undefined;
const openAiWebhook: NonNullable<ProviderWebhookDeps['openai']> = {
  mirror: openai,
  verify: async (rawBody, headers) => {
    const { apiKey, webhookSecret } = await openAiSecret();
    const key = apiKey ?? 'not-configured';
    if (webhookClient?.apiKey !== key) {
      const { default: OpenAIClient } = await import('openai');
      webhookClient = { client: new OpenAIClient({ apiKey: key }), apiKey: key };
    }
    return openAiWebhookJobId(webhookClient.client, rawBody, headers, webhookSecret ?? '');
  },
};

const batch = lazyBatchDispatcher(config.region, {
  ...config.batch,
  tableName: config.tableName,
  bucketName: config.bucketName,
});
const evalStore = new DynamoEvalStore({ doc, table: config.tableName, clock: systemClock });

const app = createApp({
  stores,
  blobs,
  clock: systemClock,
  ids: timeSortedIds(systemClock),
  dispatchers: {
    batch,
    openai,
  },
  // On AWS, jobs that name no provider train on our GPU queue. Lambda takes request bodies up to
  // 6 MB, base64 included: larger files go through /v1/uploads (presigned, straight to S3).
  config: { defaultProvider: 'batch', maxDirectUploadBytes: 4 * 1024 * 1024 },
  logger: appLogger(obs.logger),
  webhooks: {
    stores: createDynamoWebhookStores({ doc, table: config.tableName, clock: systemClock }),
    secrets: webhookSecrets,
    checkUrl: webhookUrlChecker({ allowLoopback: false }),
    // No nudge: the sweeper Lambda picks redeliveries up within a minute.
  },
  providers: { openai: openAiWebhook },
  // Generation is the inference Lambda's (infra/aws/constructs/inference.ts); documented here.
  servedElsewhere: ['inference'],
  // Run creation checks that the tenant may sample the model it names; the sampling itself happens
  // in the eval runner on Batch (nothing generates in this Lambda).
  sampler: ownModelSampler({ stores, clock: systemClock }),
  // The reconciler advances sweeps every minute (functions/handlers/reconciler.ts).
  sweeps: { store: new DynamoSweepStore({ doc, table: config.tableName, clock: systemClock }) },
  // Eval runs execute in the runner container on Batch (runner/entry/eval-run.ts); a lost
  // submission is repaired by the reconciler.
  evals: {
    store: evalStore,
    onRunQueued: (run) =>
      submitQueuedRun(
        { evals: evalStore, clock: systemClock, log: (m, d) => obs.logger.warn(m, d ?? {}) },
        run,
        (r) => batch.submitEvalRun(r),
      ),
    onRunCanceled: (run) =>
      stopCanceledRun({ log: (m, d) => obs.logger.warn(m, d ?? {}) }, run, (r) => batch.stopEvalRun(r)),
  },
});
const honoHandler = handle(app);

export async function handler(event: LambdaEvent, context: Context) {
  obs.begin(context);
  try {
    // Endpoint secrets are sealed/opened inside the request: have the master key ready for those routes.
    const path = pathOf(event);
    if (path.startsWith('/v1/webhook_endpoints')) await webhookSecrets.load();
    return await honoHandler(event, context);
  } finally {
    obs.flush();
  }
}

function pathOf(event: LambdaEvent): string {
  return (
    ('rawPath' in event && typeof event.rawPath === 'string'
      ? event.rawPath
      : (event as { path?: string }).path) ?? ''
  );
}
