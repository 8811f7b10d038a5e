/**
 * What the webhook tests share: dynalite over HTTP with the real single table, the webhook stores
 * on it, a movable clock, the real HTTP sender (loopback allowed, as on the embedded stack), and
 * loopback receivers that record what arrives.
 */
import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
// @ts-expect-error dynalite ships no types
import dynalite from 'dynalite';
import { createAwsClients } from '../../../functions/adapters/aws-clients';
import { createTable } from '../../../functions/adapters/dynamodb/create-table';
import { createDynamoWebhookStores } from '../../../functions/adapters/dynamodb/webhooks';
import { createHttpSender } from '../../../functions/adapters/http';
import { DynamoOutboxStore } from '../../../functions/adapters/dynamodb/outbox';
import type { OutboxStore } from '../../../functions/ports/store';
import { timeSortedIds } from '../../../functions/domain/ids';
import type { OutboxRecord } from '../../../functions/domain/records';
import {
  type WebhookEngineOptions,
  aesGcmSecretBox,
  createEndpointService,
  createWebhookEngine,
} from '../../../functions/domain/webhooks';
import { checkUrl } from '../../../functions/adapters/http/address-policy';

export interface MovableClock {
  nowMs(): number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function movableClock(startMs = Date.now()): MovableClock {
  let t = startMs;
  return { nowMs: () => t, set: (ms) => (t = ms), advance: (ms) => (t += ms) };
}

export interface Received {
  headers: Record<string, string>;
  body: string;
  /** performance.now() when the request was complete. */
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  connections: number;
  close(): Promise<void>;
}

/** A loopback HTTP server; `answer(n)` decides the reply to the n-th request (0-based). */
export async function startReceiver(
  answer: (
    n: number,
    req: IncomingMessage,
  ) => { status: number; headers?: Record<string, string>; body?: string },
): Promise<Receiver> {
  const r: Receiver = { url: '', received: [], connections: 0, close: async () => {} };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const n = r.received.length;
      r.received.push({ headers: req.headers as Record<string, string>, body, at: performance.now() });
      const a = answer(n, req);
      res.writeHead(a.status, a.headers).end(a.body ?? '');
    });
  });
  server.on('connection', () => r.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  r.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}

export async function startWebhookHarness(
  engineOptions: WebhookEngineOptions = {},
  /** What the sender may reach; loopback by default (the receivers are on this machine). */
  senderPolicy: { allowLoopback: boolean } = { allowLoopback: true },
) {
  const db = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => db.listen(0, '127.0.0.1', resolve));
  const port = (db.address() as AddressInfo).port;
  // A bare dynalite of the test's own (no gate): any signature will do.
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const clients = createAwsClients({
    region: 'us-east-1',
    dynamodbEndpoint: `http://127.0.0.1:${port}`,
    credentials,
  });
  const table = `webhooks-${randomBytes(4).toString('hex')}`;
  await createTable(
    { region: 'us-east-1', dynamodbEndpoint: `http://127.0.0.1:${port}`, credentials },
    table,
  );

  const clock = movableClock();
  const ctx = { doc: clients.doc, table, clock };
  const stores = createDynamoWebhookStores(ctx);
  const realOutbox = new DynamoOutboxStore(ctx);
  // Lets a test lose the "dispatched" mark, as a crash right after fan-out would.
  let loseNextMarks = 0;
  const outbox: OutboxStore = {
    put: (e) => realOutbox.put(e),
    listPending: (n) => realOutbox.listPending(n),
    markDispatched: async (id) => {
      if (loseNextMarks > 0) {
        loseNextMarks--;
        throw new Error('crashed before marking the outbox entry dispatched');
      }
      await realOutbox.markDispatched(id);
    },
  };
  const secrets = aesGcmSecretBox(randomBytes(32));
  const ids = timeSortedIds(clock);
  const allowLoopback = true;
  const sender = createHttpSender({ ...senderPolicy, timeoutMs: 2_000 });
  const service = createEndpointService({
    ...stores,
    secrets,
    clock,
    ids,
    checkUrl: (url) => {
      const c = checkUrl(url, { allowLoopback });
      return c.ok ? null : c.message;
    },
  });
  const engine = createWebhookEngine(
    { outbox, endpoints: stores.endpoints, deliveries: stores.deliveries, sender, secrets, clock },
    // Jitter pinned (random = 0.5 → none) so the tests know when an attempt is due.
    { random: () => 0.5, ...engineOptions },
  );
  const receivers: Receiver[] = [];

  let outboxSeq = 0;
  return {
    clock,
    stores,
    outbox,
    secrets,
    service,
    engine,
    loseOutboxMarks(n: number) {
      loseNextMarks = n;
    },
    async receiver(answer: Parameters<typeof startReceiver>[0]) {
      const r = await startReceiver(answer);
      receivers.push(r);
      return r;
    },
    /** Records a webhook-worthy happening as the lifecycle would. */
    async emit(tenantId: string, type: string, subjectId: string, id?: string): Promise<OutboxRecord> {
      const entry: OutboxRecord = {
        id: id ?? `${subjectId}:${type.split('.').pop()}:${outboxSeq++}`,
        tenantId,
        type,
        subjectId,
        createdAt: Math.floor(clock.nowMs() / 1000),
        status: 'pending',
      };
      await outbox.put(entry);
      return entry;
    },
    async stop() {
      for (const r of receivers) await r.close();
      clients.destroy();
      await new Promise<void>((resolve) => db.close(() => resolve()));
    },
  };
}

export type WebhookHarness = Awaited<ReturnType<typeof startWebhookHarness>>;
