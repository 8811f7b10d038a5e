/**
 * The embedded stack in one process: dynalite + s3rver (data under the data dir), the real
 * DynamoDB/S3 adapters on them, the built-in base models, an API key, and the Hono API on
 * @hono/node-server, with the background workers (infra/local/workers.ts): the local dispatcher
 * that runs jobs as runner processes, the webhook delivery worker, and OpenAI mirroring.
 */
import path from 'node:path';
import { createApp } from '../../functions/api/app';
import type { AppLogger } from '../../functions/api/deps';
import OpenAI from 'openai';
import { DynamoEvalStore, DynamoSweepStore, createDynamoStores } from '../../functions/adapters/dynamodb';
import { firstServing, openAiSampler } from '../../functions/adapters/openai/sampler';
import { ownModelSampler } from '../../functions/domain/evals/own-models';
import { startEvalRunWorker } from '../../functions/domain/evals/runs';
import { createAwsClients } from '../../functions/adapters/aws-clients';
import { createTable } from '../../functions/adapters/dynamodb/create-table';
import { S3BlobStore } from '../../functions/adapters/s3';
import { localInference } from '../../functions/adapters/local/inference';
import { timeSortedIds } from '../../functions/domain/ids';
import { modelCatalog } from '../../functions/domain/models';
import { startSweepWorker } from '../../functions/domain/sweeps/controller';
import { systemClock } from '../../functions/ports/clock';
import type { BuiltDashboard } from '../../dashboard/build';
import type { LocalConfig } from './config';
import { withDashboard } from './dashboard';
import { ensureLocalApiKey } from './api-key';
import { registerBaseModels } from './base-models';
import { serveApi } from './http-server';
import { localLogger } from './logger';
import { lockDataDir } from './data-dir-lock';
import { startEmbeddedServices } from './services';
import { runnerCommand } from './runner-bundle';
import { removeStoreAccess, writeStoreAccess } from './store-access';
import { createLocalWorkers, IDLE_POLL_MAX_MS } from './workers';

export interface LocalStack {
  baseUrl: string;
  /** Where the dashboard is served (`/` beside the API), when one was given. */
  dashboardUrl?: string;
  apiKey: string;
  apiKeyCreated: boolean;
  baseModels: string[];
  /** Local jobs a previous run left behind, started again. */
  recovered: { resumed: string[]; requeued: string[] };
  dynamodbEndpoint: string;
  s3Endpoint: string;
  /** The only credentials the stores accept, made at this start (infra/local/store-gate.ts). */
  storeCredentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** A built dashboard to serve at `/` (dashboard/build.ts); the API alone without it. */
  dashboard?: BuiltDashboard;
  /** Where the stack's lines go (JSON, Powertools); a fresh local logger by default. */
  logger?: AppLogger;
}

export async function startLocalStack(
  config: LocalConfig,
  opts: LocalStackOptions = {},
): Promise<LocalStack> {
  const logger = opts.logger ?? localLogger();
  // The runner bundle builds (when stale) while the embedded services start.
  const runner = runnerCommand(path.resolve('.'));
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
    credentials: services.credentials,
  });
  const cleanup = async () => {
    clients.destroy();
    await removeStoreAccess(config.dataDir);
    await services.close();
    await unlock();
  };
  try {
    await createTable(
      {
        region: config.region,
        dynamodbEndpoint: services.dynamodbEndpoint,
        credentials: services.credentials,
      },
      config.table,
    );
    // How `tuneplane admin` reaches these stores while the stack runs (0600: its owner only).
    await writeStoreAccess(config.dataDir, {
      pid: process.pid,
      region: config.region,
      table: config.table,
      bucket: config.bucket,
      dynamodbEndpoint: services.dynamodbEndpoint,
      s3Endpoint: services.s3Endpoint,
      credentials: services.credentials,
    });
    const clock = systemClock;
    const stores = createDynamoStores(clients.doc, config.table, clock);
    const blobs = new S3BlobStore(clients.s3, config.bucket);
    const baseModels = await registerBaseModels(
      { models: stores.models, blobs, clock },
      config.baseModelsDir,
    );
    const key = await ensureLocalApiKey(
      { apiKeys: stores.apiKeys, tenants: stores.tenants, clock },
      config.dataDir,
      config.apiKey,
    );
    const { command, how } = await runner;
    if (how === 'built' || how === 'reused')
      logger.info('local jobs run the runner bundle', { bundle: command.at(-1), how });
    else logger.warn('local jobs run the runner sources through tsx', { reason: how });
    // This start's store credentials: every child process (runners, the inference worker) signs
    // its store requests with them like the stack does; the stores refuse anything else.
    const storeCredentialsEnv = {
      AWS_ACCESS_KEY_ID: services.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: services.credentials.secretAccessKey,
    };
    const workers = await createLocalWorkers({
      config,
      stores,
      blobs,
      table: { doc: clients.doc, table: config.table, clock },
      clock,
      runnerEnv: {
        TUNEPLANE_TABLE: config.table,
        TUNEPLANE_BUCKET: config.bucket,
        AWS_REGION: config.region,
        TUNEPLANE_DYNAMODB_ENDPOINT: services.dynamodbEndpoint,
        TUNEPLANE_S3_ENDPOINT: services.s3Endpoint,
        ...storeCredentialsEnv,
      },
      logger,
      runnerCommand: command,
    });
    // Generation runs in a worker process (runner/entry/serve.ts), started on the first request.
    const inference = localInference({
      command: [
        process.execPath,
        '--openssl-legacy-provider',
        '--import',
        'tsx',
        path.resolve('runner/entry/serve.ts'),
      ],
      env: {
        TUNEPLANE_BUCKET: config.bucket,
        AWS_REGION: config.region,
        TUNEPLANE_S3_ENDPOINT: services.s3Endpoint,
        ...storeCredentialsEnv,
      },
      onOutput: (stream, chunk) => {
        if (config.runnerLogs)
          for (const line of chunk.split('\n')) if (line) logger.info('inference output', { stream, line });
      },
    });
    // Eval runs execute in this process; judges and sampled models are called through the sampler:
    // our models through the inference worker, OpenAI's when a key is configured.
    const sampler = firstServing(
      ownModelSampler({ stores: workers.stores, clock, inference }),
      config.openai
        ? openAiSampler(new OpenAI({ apiKey: config.openai.apiKey, baseURL: config.openai.baseUrl }))
        : undefined,
    );
    const evalStore = new DynamoEvalStore({ doc: clients.doc, table: config.table, clock });
    const evalWorker = startEvalRunWorker(
      {
        evals: evalStore,
        stores: workers.stores,
        blobs,
        clock,
        sampler,
        // One stack per data dir (locked), so a restarted stack takes its own runs back at once.
        owner: 'local-stack',
        log: (message, detail) => logger.warn(`eval runs: ${message}`, detail ?? {}),
      },
      { intervalMs: 2000, onError: (err) => logger.error('eval runs failed', { error: String(err) }) },
    );
    // The sweep controller: a pass per sweep on API changes, and over every active sweep each second.
    const sweepStore = new DynamoSweepStore({ doc: clients.doc, table: config.table, clock });
    const sweepWorker = startSweepWorker(
      {
        stores: workers.stores,
        blobs,
        clock,
        ids: timeSortedIds(clock),
        dispatchers: workers.dispatchers,
        models: modelCatalog({ models: stores.models, blobs }),
        defaultProvider: 'local',
        sweeps: sweepStore,
        // Eval objectives: each trial's model is measured by an eval run the eval worker executes.
        evalService: {
          evals: evalStore,
          stores: workers.stores,
          blobs,
          clock,
          ids: timeSortedIds(clock),
          sampler,
          onRunQueued: (run) => evalWorker.kick(run.id),
        },
      },
      {
        intervalMs: 1000,
        idleMaxMs: IDLE_POLL_MAX_MS,
        onError: (err) => logger.error('sweep controller failed', { error: String(err) }),
      },
    );
    const app = createApp({
      inference,
      sweeps: { store: sweepStore, onChange: (id) => sweepWorker.kick(id) },
      evals: { store: evalStore, onRunQueued: (run) => evalWorker.kick(run.id) },
      sampler,
      stores: workers.stores,
      blobs,
      clock,
      ids: timeSortedIds(clock),
      dispatchers: workers.dispatchers,
      webhooks: workers.webhooks,
      providers: workers.providers,
      logger,
    });

    const fetch = opts.dashboard
      ? withDashboard((req) => app.fetch(req), opts.dashboard, services.s3Endpoint)
      : app.fetch;
    const { server, port } = await serveApi(fetch, { port: config.port, hostname: config.host });
    const recovered = await workers.start();
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    let stopped: Promise<void> | undefined;
    return {
      baseUrl: `http://${host}:${port}/v1`,
      dashboardUrl: opts.dashboard ? `http://${host}:${port}/` : undefined,
      apiKey: key.key,
      apiKeyCreated: key.created,
      baseModels,
      recovered,
      dynamodbEndpoint: services.dynamodbEndpoint,
      s3Endpoint: services.s3Endpoint,
      storeCredentials: services.credentials,
      stop() {
        stopped ??= (async () => {
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
          await sweepWorker.stop();
          await inference.shutdown();
          await evalWorker.stop();
          // Runner processes get SIGTERM and checkpoint; their jobs resume on the next start.
          await workers.stop();
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
