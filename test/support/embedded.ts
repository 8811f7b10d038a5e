/**
 * The embedded stack for tests: dynalite + s3rver on free loopback ports (data in a temp dir
 * unless `dataDir` is given), the table and bucket created, and the real DynamoDB/S3 adapters
 * wired to them. Every call gets its own instance, so parallel test files never share state.
 *
 *   const env = await startEmbedded();
 *   afterAll(() => env.stop());
 *   await env.stores.jobs.create(...);
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDynamoStores } from '../../functions/adapters/dynamodb';
import { createAwsClients, type AwsClients } from '../../functions/adapters/aws-clients';
import { createTable } from '../../functions/adapters/dynamodb/create-table';
import { S3BlobStore } from '../../functions/adapters/s3';
import { systemClock, type Clock } from '../../functions/ports/clock';
import type { BlobStore } from '../../functions/ports/blobs';
import type { Stores } from '../../functions/ports/store';
import { startEmbeddedServices } from '../../infra/local/services';

export interface EmbeddedConfig {
  region: string;
  table: string;
  bucket: string;
  dynamodbEndpoint: string;
  s3Endpoint: string;
  dataDir: string;
  /** The only credentials the stores accept (fresh for every instance). */
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface Embedded {
  stores: Stores;
  blobs: BlobStore;
  clients: AwsClients;
  config: EmbeddedConfig;
  /**
   * Environment variables (docs/ARCHITECTURE.md, "Storage: table, bucket, environment") that point
   * another process at this instance.
   */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface StartEmbeddedOptions {
  /** Keep data here (and keep it after stop); a temp dir removed on stop otherwise. */
  dataDir?: string;
  table?: string;
  bucket?: string;
  /** The stores' clock (expiry checks); the system clock by default. */
  clock?: Clock;
}

export async function startEmbedded(opts: StartEmbeddedOptions = {}): Promise<Embedded> {
  const tempDir = opts.dataDir ? undefined : await mkdtemp(path.join(tmpdir(), 'tuneplane-test-'));
  const dataDir = opts.dataDir ?? tempDir!;
  const table = opts.table ?? 'tuneplane';
  const bucket = opts.bucket ?? 'tuneplane';
  const services = await startEmbeddedServices({
    dynamoDir: path.join(dataDir, 'dynamodb'),
    s3Dir: path.join(dataDir, 's3'),
    bucket,
  });
  const config: EmbeddedConfig = {
    region: 'us-east-1',
    table,
    bucket,
    dynamodbEndpoint: services.dynamodbEndpoint,
    s3Endpoint: services.s3Endpoint,
    dataDir,
    credentials: services.credentials,
  };
  const clients = createAwsClients(config);
  try {
    await createTable(config, table);
  } catch (err) {
    clients.destroy();
    await services.close();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    stores: createDynamoStores(clients.doc, table, opts.clock ?? systemClock),
    blobs: new S3BlobStore(clients.s3, bucket),
    clients,
    config,
    env: {
      AWS_REGION: config.region,
      TUNEPLANE_TABLE: table,
      TUNEPLANE_BUCKET: bucket,
      TUNEPLANE_DYNAMODB_ENDPOINT: config.dynamodbEndpoint,
      TUNEPLANE_S3_ENDPOINT: config.s3Endpoint,
      AWS_ACCESS_KEY_ID: config.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey,
    },
    stop() {
      stopped ??= (async () => {
        clients.destroy();
        await services.close();
        if (tempDir) await rm(tempDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
