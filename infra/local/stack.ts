/**
 * The embedded stack in one process: dynalite + s3rver (data under the data dir), the real
 * DynamoDB/S3 adapters on them, the built-in base models, an API key, and the Hono API on
 * @hono/node-server. The local dispatcher is not wired yet: created jobs wait in `queued`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { createApp } from '../../functions/api/app';
import { createAwsClients, createDynamoStores, createTable } from '../../functions/adapters/dynamodb';
import { S3BlobStore } from '../../functions/adapters/s3';
import { timeSortedIds } from '../../functions/domain/ids';
import { systemClock } from '../../functions/ports/clock';
import type { LocalConfig } from './config';
import { ensureLocalApiKey } from './api-key';
import { registerBaseModels } from './base-models';
import { lockDataDir } from './data-dir-lock';
import { startEmbeddedServices } from './services';

export interface LocalStack {
  baseUrl: string;
  apiKey: string;
  apiKeyCreated: boolean;
  baseModels: string[];
  dynamodbEndpoint: string;
  s3Endpoint: string;
  stop(): Promise<void>;
}

export async function startLocalStack(config: LocalConfig): Promise<LocalStack> {
  const unlock = await lockDataDir(config.dataDir);
  const services = await startEmbeddedServices({
    dynamoDir: path.join(config.dataDir, 'dynamodb'),
    s3Dir: path.join(config.dataDir, 's3'),
    bucket: config.bucket,
  }).catch(async (err: unknown) => {
    await unlock();
    throw err;
  });
  const clients = createAwsClients({
    region: config.region,
    dynamodbEndpoint: services.dynamodbEndpoint,
    s3Endpoint: services.s3Endpoint,
  });
  const cleanup = async () => {
    clients.destroy();
    await services.close();
    await unlock();
  };
  try {
    await createTable(clients.dynamodb, config.table);
    const clock = systemClock;
    const stores = createDynamoStores(clients.doc, config.table, clock);
    const blobs = new S3BlobStore(clients.s3, config.bucket);
    const baseModels = await registerBaseModels({ models: stores.models, blobs, clock }, config.baseModelsDir);
    const key = await ensureLocalApiKey({ apiKeys: stores.apiKeys, clock }, config.dataDir, config.apiKey);
    const app = createApp({ stores, blobs, clock, ids: timeSortedIds(clock) });

    const server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s as Server));
      (s as Server).once('error', reject);
    });
    const port = (server.address() as AddressInfo).port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    let stopped: Promise<void> | undefined;
    return {
      baseUrl: `http://${host}:${port}/v1`,
      apiKey: key.key,
      apiKeyCreated: key.created,
      baseModels,
      dynamodbEndpoint: services.dynamodbEndpoint,
      s3Endpoint: services.s3Endpoint,
      stop() {
        stopped ??= (async () => {
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
          await cleanup();
        })();
        return stopped;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
