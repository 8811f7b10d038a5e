/**
 * The delivery engine: turns outbox entries into deliveries (one per event and matching endpoint)
 * and makes the attempts that are due.
 *
 * Guarantees, with no transactions (DESIGN §4):
 *  - one delivery per (event, endpoint): the delivery id is `${outboxId}:${endpointId}` and is
 *    created put-if-absent, so a re-processed or duplicated outbox entry adds nothing;
 *  - an outbox entry is marked dispatched only after its deliveries exist, so a crash in between
 *    is recovered by processing it again;
 *  - an attempt is claimed by a conditional write that pushes `nextAttemptAtMs` past the send
 *    timeout (a lease), so two workers do not send the same attempt; a worker that dies mid-send
 *    leaves the lease to expire and the attempt is made again (at-least-once; the `webhook-id`
 *    stays the same for receivers to de-duplicate).
 */
import { ConflictError } from '../../errors';
import type { Clock } from '../../ports/clock';
import type { OutboxStore } from '../../ports/store';
import type {
  OutboundResult,
  SecretBox,
  WebhookDeliveryStore,
  WebhookEndpointStore,
  WebhookSender,
} from '../../ports/webhooks';
import type { OutboxRecord } from '../records';
import { endpointWants, isWebhookEventType, thinEvent } from './events';
import type { DeliveryAttempt, WebhookDeliveryRecord, WebhookEndpointRecord } from './records';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, classify, nextAttemptAt } from './retry';
import { signedHeaders } from './signing';

export interface WebhookEngineOptions {
  policy?: Partial<RetryPolicy>;
  /** Entries / deliveries read per page. */
  batchSize?: number;
  /** Attempts in flight at once. */
  concurrency?: number;
  /** How long a claimed attempt is hidden from other workers; must exceed the sender's timeout. */
  leaseMs?: number;
  /** Attempts kept in a delivery's log (the count keeps growing). */
  attemptsKept?: number;
  random?: () => number;
  log?: (level: 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>) => void;
}

export interface WebhookEngineDeps {
  outbox: OutboxStore;
  endpoints: WebhookEndpointStore;
  deliveries: WebhookDeliveryStore;
  sender: WebhookSender;
  secrets: SecretBox;
  clock: Clock;
}

export interface ProcessSummary {
  outboxProcessed: number;
  deliveriesCreated: number;
  attempts: number;
  succeeded: number;
}

/** Keep what a receiver said, but only enough to debug with. */
const SNIPPET_CHARS = 1024;
/** Pages per call, so one call cannot spin forever on a store that keeps returning work. */
const MAX_ROUNDS = 50;

export function deliveryIdFor(outboxId: string, endpointId: string): string {
  return `${outboxId}:${endpointId}`;
}

export function createWebhookEngine(deps: WebhookEngineDeps, options: WebhookEngineOptions = {}) {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const batchSize = options.batchSize ?? 25;
  const concurrency = options.concurrency ?? 8;
  const leaseMs = options.leaseMs ?? 60_000;
  const attemptsKept = options.attemptsKept ?? 20;
  const random = options.random ?? Math.random;
  const log = options.log ?? (() => {});

  /**
   * What one run knows: endpoints read once per tenant (fan-out) or per endpoint (retries), so a
   * burst of events for one tenant costs one read, not one per event. Within a run an endpoint
   * disabled meanwhile may get one more attempt; the next run sees the change.
   */
  function runCache() {
    const byTenant = new Map<string, Promise<WebhookEndpointRecord[]>>();
    const byId = new Map<string, Promise<WebhookEndpointRecord | undefined>>();
    return {
      tenantEndpoints(tenantId: string) {
        let p = byTenant.get(tenantId);
        if (!p) byTenant.set(tenantId, (p = deps.endpoints.listAll(tenantId)));
        return p;
      },
      endpoint(tenantId: string, id: string) {
        let p = byId.get(id);
        if (!p) byId.set(id, (p = deps.endpoints.get(tenantId, id)));
        return p;
      },
    };
  }
  type RunCache = ReturnType<typeof runCache>;

  /**
   * Creates the entry's deliveries, already claimed for their first attempt (one write instead of
   * create-then-claim; should this worker die, the lease runs out and a sweep makes the attempt).
   */
  async function fanOutEntry(
    entry: OutboxRecord,
    nowMs: number,
    cache: RunCache,
  ): Promise<Array<{ delivery: WebhookDeliveryRecord; endpoint: WebhookEndpointRecord }>> {
    const fresh: Array<{ delivery: WebhookDeliveryRecord; endpoint: WebhookEndpointRecord }> = [];
    if (isWebhookEventType(entry.type)) {
      const endpoints = (await cache.tenantEndpoints(entry.tenantId)).filter(
        (ep) => ep.status === 'enabled' && endpointWants(ep.enabledEvents, entry.type),
      );
      const event = thinEvent({
        outboxId: entry.id,
        type: entry.type,
        subjectId: entry.subjectId,
        createdAt: entry.createdAt,
      });
      const payload = JSON.stringify(event);
      await Promise.all(
        endpoints.map(async (endpoint) => {
          const delivery: WebhookDeliveryRecord = {
            id: deliveryIdFor(entry.id, endpoint.id),
            tenantId: entry.tenantId,
            endpointId: endpoint.id,
            outboxId: entry.id,
            eventId: event.id,
            eventType: entry.type,
            payload,
            status: 'pending',
            attemptCount: 0,
            scheduleStart: 0,
            nextAttemptAtMs: nowMs + leaseMs,
            attempts: [],
            createdAtMs: nowMs,
            updatedAtMs: nowMs,
            version: 1,
          };
          if (await deps.deliveries.createIfAbsent(delivery)) fresh.push({ delivery, endpoint });
        }),
      );
    } else {
      log('warn', 'outbox entry of a type no webhook carries; marking it dispatched', {
        id: entry.id,
        type: entry.type,
      });
    }
    await deps.outbox.markDispatched(entry.id);
    return fresh;
  }

  /**
   * Turns pending outbox entries into deliveries and makes their first attempts right away (the
   * schedule's "immediately"), batch by batch so early events do not wait for late ones.
   */
  async function fanOut(
    nowMs: number,
    cache: RunCache = runCache(),
    outOfTime: () => boolean = () => false,
  ): Promise<{ outboxProcessed: number; deliveriesCreated: number; attempts: number; succeeded: number }> {
    const total = { outboxProcessed: 0, deliveriesCreated: 0, attempts: 0, succeeded: 0 };
    for (let round = 0; round < MAX_ROUNDS && !outOfTime(); round++) {
      const entries = await deps.outbox.listPending(batchSize);
      if (entries.length === 0) break;
      const fresh: Array<{ delivery: WebhookDeliveryRecord; endpoint: WebhookEndpointRecord }> = [];
      await eachLimited(entries, concurrency, async (entry) => {
        try {
          fresh.push(...(await fanOutEntry(entry, nowMs, cache)));
          total.outboxProcessed++;
        } catch (err) {
          // Left pending: the next run tries again, and the deliveries made so far are not duplicated.
          log('error', 'fan-out failed', { id: entry.id, error: String(err) });
        }
      });
      total.deliveriesCreated += fresh.length;
      await eachLimited(fresh, concurrency, async ({ delivery, endpoint }) => {
        if (outOfTime()) return; // claimed but not sent: due again when the lease runs out
        try {
          const ok = await attemptClaimed(delivery, endpoint);
          total.attempts++;
          if (ok) total.succeeded++;
        } catch (err) {
          log('error', 'delivery attempt failed to record', { id: delivery.id, error: String(err) });
        }
      });
      if (entries.length < batchSize) break;
    }
    return total;
  }

  function liveSecrets(endpoint: WebhookEndpointRecord, nowMs: number): string[] {
    return endpoint.secrets
      .filter((s) => s.expiresAtMs === null || s.expiresAtMs > nowMs)
      .map((s) => deps.secrets.open(s.sealed));
  }

  async function disableAsGone(endpoint: WebhookEndpointRecord): Promise<void> {
    let current: WebhookEndpointRecord | undefined = endpoint;
    for (let i = 0; i < 3 && current && current.status === 'enabled'; i++) {
      try {
        await deps.endpoints.update(current.tenantId, current.id, current.version, {
          status: 'disabled',
          disabledReason: 'gone',
          updatedAtMs: deps.clock.nowMs(),
        });
        log('warn', 'endpoint answered 410 Gone; disabled it', { endpointId: current.id });
        return;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        current = await deps.endpoints.get(endpoint.tenantId, endpoint.id);
      }
    }
  }

  /** Claims a due delivery, then attempts it. Undefined when another worker had it or it was cancelled. */
  async function attemptDue(due: WebhookDeliveryRecord, cache: RunCache): Promise<boolean | undefined> {
    const claimAt = deps.clock.nowMs();
    let claimed: WebhookDeliveryRecord;
    try {
      claimed = await deps.deliveries.update(due.id, due.version, { nextAttemptAtMs: claimAt + leaseMs });
    } catch (err) {
      if (err instanceof ConflictError) return undefined; // another worker has it
      throw err;
    }
    const endpoint = await cache.endpoint(claimed.tenantId, claimed.endpointId);
    if (!endpoint || endpoint.status !== 'enabled') {
      await deps.deliveries.update(claimed.id, claimed.version, {
        status: 'cancelled',
        nextAttemptAtMs: null,
        updatedAtMs: claimAt,
      });
      return undefined;
    }
    return attemptClaimed(claimed, endpoint);
  }

  /** One attempt of a delivery this worker holds the lease on. Returns true when it succeeded. */
  async function attemptClaimed(
    claimed: WebhookDeliveryRecord,
    endpoint: WebhookEndpointRecord,
  ): Promise<boolean> {
    const sentAt = deps.clock.nowMs();
    const headers = {
      ...signedHeaders(
        liveSecrets(endpoint, sentAt),
        claimed.eventId,
        Math.floor(sentAt / 1000),
        claimed.payload,
      ),
      'content-type': 'application/json',
      'user-agent': 'Tuneplane-Webhooks/1',
    };
    const result: OutboundResult = await deps.sender.send({
      url: endpoint.url,
      headers,
      body: claimed.payload,
    });
    const doneAt = deps.clock.nowMs();
    const outcome = classify(result, doneAt);
    const attemptsMade = claimed.attemptCount + 1;
    const next =
      outcome.kind === 'retry'
        ? nextAttemptAt(policy, attemptsMade - claimed.scheduleStart, doneAt, outcome.retryAfterMs, random)
        : null;
    const record: DeliveryAttempt = {
      attemptedAtMs: sentAt,
      statusCode: result.kind === 'response' ? result.statusCode : null,
      responseSnippet: result.kind === 'response' ? result.bodySnippet.slice(0, SNIPPET_CHARS) : null,
      error:
        result.kind === 'error'
          ? `${result.reason}: ${result.message}`
          : outcome.kind === 'success'
            ? null
            : describeFailure(result.statusCode),
      durationMs: result.durationMs,
      nextAttemptAtMs: next,
    };
    try {
      await deps.deliveries.update(claimed.id, claimed.version, {
        status: outcome.kind === 'success' ? 'succeeded' : next === null ? 'failed' : 'pending',
        attemptCount: attemptsMade,
        nextAttemptAtMs: next,
        attempts: [...claimed.attempts, record].slice(-attemptsKept),
        updatedAtMs: doneAt,
      });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      // The lease ran out and another worker took over; its record of the attempt stands.
      log('warn', 'delivery changed during an attempt (lease too short?)', { id: claimed.id });
    }
    if (outcome.kind === 'gone') await disableAsGone(endpoint);
    return outcome.kind === 'success';
  }

  /** Makes every retry (and redelivery) due at `nowMs`. */
  async function deliverDue(
    nowMs: number,
    cache: RunCache = runCache(),
    outOfTime: () => boolean = () => false,
  ): Promise<{ attempts: number; succeeded: number }> {
    let attempts = 0;
    let succeeded = 0;
    for (let round = 0; round < MAX_ROUNDS && !outOfTime(); round++) {
      const due = await deps.deliveries.listDue(nowMs, batchSize);
      if (due.length === 0) break;
      await eachLimited(due, concurrency, async (d) => {
        // Unclaimed work stays due for the next run.
        if (outOfTime()) return;
        try {
          const ok = await attemptDue(d, cache);
          if (ok !== undefined) attempts++;
          if (ok) succeeded++;
        } catch (err) {
          log('error', 'delivery attempt failed to record', { id: d.id, error: String(err) });
        }
      });
      if (due.length < batchSize) break;
    }
    return { attempts, succeeded };
  }

  return {
    fanOut: (nowMs: number) => fanOut(nowMs),
    deliverDue: (nowMs: number) => deliverDue(nowMs),
    /**
     * Everything due at `nowMs` (default: the clock's now): new outbox entries (fanned out and
     * attempted at once), then retries and redeliveries whose time has come. `budgetMs` (wall
     * time) stops taking new work once spent, leaving room for attempts in flight to finish inside
     * a Lambda's timeout (pass the remaining time minus the sender's timeout).
     */
    async processDue(
      nowMs: number = deps.clock.nowMs(),
      opts: { budgetMs?: number } = {},
    ): Promise<ProcessSummary> {
      const started = performance.now();
      const outOfTime = () => opts.budgetMs !== undefined && performance.now() - started >= opts.budgetMs;
      const cache = runCache();
      const fan = await fanOut(nowMs, cache, outOfTime);
      const due = await deliverDue(nowMs, cache, outOfTime);
      return {
        outboxProcessed: fan.outboxProcessed,
        deliveriesCreated: fan.deliveriesCreated,
        attempts: fan.attempts + due.attempts,
        succeeded: fan.succeeded + due.succeeded,
      };
    },
  };
}

export type WebhookEngine = ReturnType<typeof createWebhookEngine>;

function describeFailure(statusCode: number): string {
  if (statusCode >= 300 && statusCode < 400) return `HTTP ${statusCode}: redirects are not followed`;
  if (statusCode === 410) return 'HTTP 410: endpoint gone; it has been disabled';
  return `HTTP ${statusCode}`;
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}
