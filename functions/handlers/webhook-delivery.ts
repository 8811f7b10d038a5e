/**
 * Lambda entry point: the webhook sweeper. EventBridge invokes it every minute; each run makes
 * every attempt that is due (infra/aws/constructs/webhooks.ts says why a sweep).
 *
 * Composition root: config is parsed once at cold start (the init phase runs at full CPU); the
 * signing master key is read from Secrets Manager on first use and re-read every few minutes.
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { cachedSecret, decodeWebhookMasterKey, loadWebhookDeliveryConfig } from '../config';
import { documentClientFor } from '../adapters/dynamodb';
import { DynamoOutboxStore } from '../adapters/dynamodb/outbox';
import { createDynamoWebhookStores } from '../adapters/dynamodb/webhooks';
import { createHttpSender } from '../adapters/http';
import {
  aesGcmSecretBox,
  createWebhookEngine,
  type ProcessSummary,
  type WebhookEngine,
} from '../domain/webhooks';
import { Metric, createObservability, engineLog } from '../observability';
import { systemClock } from '../ports/clock';
import { secretsManagerReader } from './lib/secrets-manager';

const config = loadWebhookDeliveryConfig(process.env);
const obs = createObservability('webhook-delivery');
const table = { doc: documentClientFor(config), table: config.tableName, clock: systemClock };
const stores = createDynamoWebhookStores(table);
const outbox = new DynamoOutboxStore(table);
const sender = createHttpSender({ allowLoopback: config.allowLoopback });
const masterKey = cachedSecret(
  secretsManagerReader(config.region),
  config.webhookSecretArn,
  decodeWebhookMasterKey,
);

let engine: { key: Uint8Array; engine: WebhookEngine } | undefined;
async function currentEngine(): Promise<WebhookEngine> {
  const key = await masterKey();
  if (engine?.key !== key) {
    engine = {
      key,
      engine: createWebhookEngine(
        {
          outbox,
          endpoints: stores.endpoints,
          deliveries: stores.deliveries,
          sender,
          secrets: aesGcmSecretBox(key),
          clock: systemClock,
        },
        { log: engineLog(obs.logger) },
      ),
    };
  }
  return engine.engine;
}

export async function handler(_event: ScheduledEvent, context: Context): Promise<ProcessSummary> {
  obs.begin(context);
  try {
    const summary = await (await currentEngine()).processDue(systemClock.nowMs());
    obs.count(Metric.WebhookDeliveriesCreated, summary.deliveriesCreated);
    obs.count(Metric.WebhookAttempts, summary.attempts);
    obs.count(Metric.WebhookDelivered, summary.succeeded);
    if (summary.attempts > 0 || summary.outboxProcessed > 0) obs.logger.info('webhook sweep', { ...summary });
    return summary;
  } catch (err) {
    obs.logger.error('webhook sweep failed', err as Error);
    throw err;
  } finally {
    obs.flush();
  }
}
