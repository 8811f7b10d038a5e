/**
 * Webhook latency on the embedded stack: how long from a job's terminal transition (the status
 * write and its outbox entry, done by the lifecycle) to the first delivery attempt arriving at a
 * loopback receiver. Jobs finish in bursts while the worker runs as the local stack runs it: on a
 * timer and kicked after each transition (as after outbox writes). A second pass measures the
 * timer alone (no kicks), which is what a sweeper without kicks gives.
 * Last line:
 *   jobs=… p50_ms=… p99_ms=…
 *
 *   npm run bench:webhooks -- [--jobs 240] [--burst 20] [--interval-ms 1000]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createDynamoWebhookStores } from '../../functions/adapters/dynamodb/webhooks';
import { createHttpSender } from '../../functions/adapters/http';
import { timeSortedIds } from '../../functions/domain/ids';
import { transitionJob } from '../../functions/domain/lifecycle';
import {
  aesGcmSecretBox,
  createEndpointService,
  createWebhookEngine,
  startWebhookWorker,
} from '../../functions/domain/webhooks';
import { systemClock } from '../../functions/ports/clock';
import { startReceiver } from '../integration/webhooks/harness';
import { startEmbedded } from '../support/embedded';
import { jobRecord } from '../support/records';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '240' },
    burst: { type: 'string', default: '20' },
    'interval-ms': { type: 'string', default: '1000' },
  },
});
const JOBS = Number(values.jobs);
const BURST = Number(values.burst);
const INTERVAL_MS = Number(values['interval-ms']);
const TERMINAL = ['succeeded', 'failed', 'cancelled'] as const;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

type Env = Awaited<ReturnType<typeof startEmbedded>>;

/** One run: JOBS jobs finish in bursts; returns the delay of each job's first delivery attempt. */
async function pass(env: Env, kick: boolean): Promise<number[]> {
  const clock = systemClock;
  const tenant = `bench-${randomBytes(3).toString('hex')}`;
  const stores = createDynamoWebhookStores({ doc: env.clients.doc, table: env.config.table, clock });
  const secrets = aesGcmSecretBox(randomBytes(32));
  const receiver = await startReceiver(() => ({ status: 200 }));
  const service = createEndpointService({
    ...stores,
    secrets,
    clock,
    ids: timeSortedIds(clock),
    checkUrl: () => null,
  });
  await service.create(tenant, { url: receiver.url });
  const engine = createWebhookEngine({
    outbox: env.stores.outbox,
    ...stores,
    sender: createHttpSender({ allowLoopback: true, timeoutMs: 5000 }),
    secrets,
    clock,
  });

  const ids = Array.from({ length: JOBS }, (_, i) => `ftjob-${tenant}-${String(i).padStart(4, '0')}`);
  for (const id of ids) await env.stores.jobs.create(jobRecord({ id, tenantId: tenant, status: 'running' }));
  const finishedAt = new Map<string, number>();
  const lifecycle = { stores: env.stores, clock };

  const worker = startWebhookWorker(engine, { intervalMs: INTERVAL_MS, onError: (e) => console.error(e) });
  for (let i = 0; i < ids.length; i += BURST) {
    await Promise.all(
      ids.slice(i, i + BURST).map(async (id, k) => {
        await transitionJob(lifecycle, id, TERMINAL[(i + k) % TERMINAL.length]);
        finishedAt.set(id, performance.now());
        if (kick) worker.kick();
      }),
    );
    // Bursts arrive spread out, as jobs finishing across a fleet do.
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
  }
  const deadline = Date.now() + 120_000;
  while (receiver.received.length < JOBS && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  await worker.stop();
  await receiver.close();

  const firstAt = new Map<string, number>();
  for (const got of receiver.received) {
    const id = (JSON.parse(got.body) as { data: { id: string } }).data.id;
    if (!firstAt.has(id)) firstAt.set(id, got.at);
  }
  if (firstAt.size < JOBS)
    console.error(`only ${firstAt.size} of ${JOBS} jobs were delivered within the wait`);
  return [...firstAt].map(([id, at]) => at - finishedAt.get(id)!).sort((a, b) => a - b);
}

async function main() {
  const env = await startEmbedded();
  try {
    const timerOnly = await pass(env, false);
    const kicked = await pass(env, true);
    const fmt = (l: number[]) =>
      `jobs=${l.length} p50_ms=${percentile(l, 50).toFixed(1)} p99_ms=${percentile(l, 99).toFixed(1)}`;
    console.log(`mode=timer-only interval_ms=${INTERVAL_MS} ${fmt(timerOnly)}`);
    console.log(`mode=timer+kick interval_ms=${INTERVAL_MS} (the local stack; reported below)`);
    console.log(fmt(kicked));
  } finally {
    await env.stop();
  }
}

await main();
