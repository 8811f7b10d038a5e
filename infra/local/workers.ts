/**
 * The embedded stack's background work, in the same process as the API:
 *  - the local dispatcher: each `provider: local` job runs the runner's container entry as a child
 *    process (at most `maxConcurrentJobs`); its exits go through the domain (retry, fail);
 *  - the webhook delivery worker, nudged after every outbox write;
 *  - OpenAI mirroring by polling, when an OpenAI key is configured;
 *  - recovery at start: local jobs left queued or running by a previous run are started again;
 *  - files past their `expires_after` deleted with their bytes, at start and every minute
 *    (dynalite has no TTL; the store already hides them).
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { createHttpSender, webhookUrlChecker } from '../../functions/adapters/http';
import { localDispatcher, type LocalDispatcher } from '../../functions/adapters/local/dispatcher';
import { openAiDispatcher } from '../../functions/adapters/openai/dispatcher';
import { openAiWebhookJobId } from '../../functions/adapters/openai/webhook';
import { createDynamoWebhookStores } from '../../functions/adapters/dynamodb/webhooks';
import type { TableContext } from '../../functions/adapters/dynamodb/table';
import type { AppLogger, ProviderWebhookDeps, WebhookApiDeps } from '../../functions/api/deps';
import {
  onRunnerExit,
  pollMirroredJobs,
  recoverLocalJobs,
  submitUnsubmittedJobs,
  type DispatchDeps,
} from '../../functions/domain/dispatch';
import { deleteExpiredFiles } from '../../functions/domain/files';
import { failAbandonedCreations } from '../../functions/domain/lifecycle';
import { aesGcmSecretBox, createWebhookEngine, startWebhookWorker } from '../../functions/domain/webhooks';
import type { Dispatcher } from '../../functions/ports/dispatcher';
import type { OutboxStore, Stores } from '../../functions/ports/store';
import type { Clock } from '../../functions/ports/clock';
import type { BlobStore } from '../../functions/ports/blobs';
import type { Provider } from '../../functions/domain/records';
import type { LocalConfig } from './config';

/** Three interruptions in a row without a new checkpoint fail a local job, as do 72 h of interruptions. */
const INTERRUPTION_POLICY = { maxAttempts: 3, maxWallMs: 72 * 3_600_000 };
/** How often expired files are deleted. */
const EXPIRY_INTERVAL_MS = 60_000;
/**
 * How seldom the webhook worker and the sweep controller poll the table once they find nothing
 * to do (they start at once a second; new work in this process kicks them). Idle polling cost the
 * stack ~6 table requests a second, CPU a local job on the same cores pays for.
 */
export const IDLE_POLL_MAX_MS = 5_000;

export interface LocalWorkers {
  /** Stores whose outbox nudges the webhook worker on every write. */
  stores: Stores;
  dispatchers: Partial<Record<Provider, Dispatcher>>;
  webhooks: WebhookApiDeps;
  providers: ProviderWebhookDeps;
  local: LocalDispatcher;
  /** Starts recovery and the timers; call once the API is up. */
  start(): Promise<{ resumed: string[]; requeued: string[] }>;
  stop(): Promise<void>;
}

export interface WorkerInputs {
  config: LocalConfig;
  stores: Stores;
  blobs: BlobStore;
  table: TableContext;
  clock: Clock;
  /** Environment that points a runner process at this stack's DynamoDB and S3. */
  runnerEnv: Record<string, string>;
  /** JSON lines: what the workers did (info) and what went wrong (error, with the cause). */
  logger: AppLogger;
  /** argv of one runner process (runner-bundle.ts: the compiled bundle, or tsx). */
  runnerCommand: string[];
}

/** The key that seals webhook secrets at rest: made once, kept in the data dir. */
async function secretBoxKey(dataDir: string): Promise<Uint8Array> {
  const file = path.join(dataDir, 'webhook-secrets.key');
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
  } catch {
    const key = randomBytes(32);
    await writeFile(file, key.toString('base64'), { mode: 0o600 });
    return key;
  }
}

/** An outbox that tells the worker when there is something new to deliver. */
function nudging(outbox: OutboxStore, kick: () => void): OutboxStore {
  return {
    put: async (entry) => {
      await outbox.put(entry);
      kick();
    },
    listPending: (limit) => outbox.listPending(limit),
    markDispatched: (id) => outbox.markDispatched(id),
  };
}

export async function createLocalWorkers(inp: WorkerInputs): Promise<LocalWorkers> {
  const { config, clock } = inp;
  const bootMs = clock.nowMs();
  const whStores = createDynamoWebhookStores(inp.table);
  const secrets = aesGcmSecretBox(await secretBoxKey(config.dataDir));
  const policy = { allowLoopback: config.webhooksAllowLoopback };
  let kick = () => {};
  const stores: Stores = { ...inp.stores, outbox: nudging(inp.stores.outbox, () => kick()) };
  const engine = createWebhookEngine(
    { outbox: inp.stores.outbox, ...whStores, sender: createHttpSender(policy), secrets, clock },
    { policy: { scale: config.webhookRetryScale } },
  );
  const worker = startWebhookWorker(engine, {
    intervalMs: 1000,
    idleMaxMs: IDLE_POLL_MAX_MS,
    onError: (err) => inp.logger.error('webhook worker failed', { error: String(err) }),
  });
  kick = () => worker.kick();

  const deps: DispatchDeps = { stores, clock };
  const local: LocalDispatcher = localDispatcher({
    command: inp.runnerCommand,
    env: inp.runnerEnv,
    maxConcurrent: config.maxConcurrentJobs,
    stopGraceMs: 30_000,
    onExit: async (exit) => {
      // A runner ends its job itself (its outbox entry is written before it exits, from another
      // process, so the nudging outbox never saw it): look for deliveries now, not at the next poll.
      kick();
      const outcome = await onRunnerExit(deps, exit, (job) => local.submit(job), INTERRUPTION_POLICY);
      if (outcome !== 'ignored')
        inp.logger.info('runner exited', {
          job_id: exit.jobId,
          code: exit.code,
          signal: exit.signal,
          outcome,
        });
    },
    onOutput: (jobId, stream, chunk) => {
      for (const line of chunk.split('\n')) {
        if (config.runnerLogs) {
          if (line) inp.logger.info('runner output', { job_id: jobId, stream, line });
        } else if (line.includes('"tensorflow backend selected"')) {
          // Always logged: a runner on the pure-JS path trains many times slower, and without this
          // line nothing in the stack's output says why its jobs crawl.
          inp.logger.info('runner backend', { job_id: jobId, line });
        }
      }
    },
  });

  const dispatchers: Partial<Record<Provider, Dispatcher>> = { local };
  const providers: ProviderWebhookDeps = {};
  let openAiPoll: NodeJS.Timeout | undefined;
  if (config.openai) {
    const client = new OpenAI({ apiKey: config.openai.apiKey, baseURL: config.openai.baseUrl });
    const openai = openAiDispatcher({ client, files: stores.files, blobs: inp.blobs });
    dispatchers.openai = openai;
    if (config.openai.webhookSecret) {
      const secret = config.openai.webhookSecret;
      providers.openai = {
        verify: (body, headers) => openAiWebhookJobId(client, body, headers, secret),
        mirror: openai,
      };
    }
    // Jobs whose submit met an OpenAI outage have no OpenAI id (polling skips them): submit again.
    const poll = () =>
      void pollMirroredJobs(deps, openai, 'openai')
        .then(() => submitUnsubmittedJobs(deps, { openai }, 'openai', { afterMs: 5 * 60_000 }))
        .catch((err) => inp.logger.error('openai poll failed', { error: String(err) }));
    openAiPoll = setInterval(poll, config.openai.pollIntervalMs);
    openAiPoll.unref();
  }

  let expiryTimer: NodeJS.Timeout | undefined;
  const deleteExpired = () =>
    deleteExpiredFiles({ stores, blobs: inp.blobs, clock }, { limit: 500 }).catch((err) =>
      inp.logger.error('file expiry failed', { error: String(err) }),
    );

  return {
    stores,
    dispatchers,
    webhooks: { stores: whStores, secrets, checkUrl: webhookUrlChecker(policy), onWork: () => worker.kick() },
    providers,
    local,
    async start() {
      worker.kick();
      // Jobs a previous run left half-created (validating_files) fail, saying why; those created
      // since this boot (a request in flight right now) are not touched.
      await failAbandonedCreations(deps, { afterMs: clock.nowMs() - bootMs + 1000 });
      await deleteExpired();
      expiryTimer = setInterval(() => void deleteExpired(), EXPIRY_INTERVAL_MS);
      expiryTimer.unref();
      return recoverLocalJobs(deps, (job) => local.submit(job));
    },
    async stop() {
      if (openAiPoll) clearInterval(openAiPoll);
      if (expiryTimer) clearInterval(expiryTimer);
      await local.shutdown();
      await worker.stop();
    },
  };
}
