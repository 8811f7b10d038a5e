/**
 * What every part of the webhook engine works with: its dependencies, its options resolved, and the
 * endpoints one run has read.
 */
import type { Clock } from '../../ports/clock';
import type { OutboxStore } from '../../ports/store';
import type {
  SecretBox,
  WebhookDeliveryStore,
  WebhookEndpointStore,
  WebhookSender,
} from '../../ports/webhooks';
import type { WebhookEndpointRecord } from './records';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry';

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

export interface EngineContext {
  deps: WebhookEngineDeps;
  policy: RetryPolicy;
  batchSize: number;
  concurrency: number;
  leaseMs: number;
  attemptsKept: number;
  random: () => number;
  log: NonNullable<WebhookEngineOptions['log']>;
}

export function engineContext(deps: WebhookEngineDeps, options: WebhookEngineOptions = {}): EngineContext {
  return {
    deps,
    policy: { ...DEFAULT_RETRY_POLICY, ...options.policy },
    batchSize: options.batchSize ?? 25,
    concurrency: options.concurrency ?? 8,
    leaseMs: options.leaseMs ?? 60_000,
    attemptsKept: options.attemptsKept ?? 20,
    random: options.random ?? Math.random,
    log: options.log ?? (() => {}),
  };
}

/**
 * What one run knows: endpoints read once per tenant (fan-out) or per endpoint (retries), so a
 * burst of events for one tenant costs one read, not one per event. Within a run an endpoint
 * disabled meanwhile may get one more attempt; the next run sees the change.
 */
export interface RunCache {
  tenantEndpoints(tenantId: string): Promise<WebhookEndpointRecord[]>;
  endpoint(tenantId: string, id: string): Promise<WebhookEndpointRecord | undefined>;
}

export function runCache(ctx: EngineContext): RunCache {
  const byTenant = new Map<string, Promise<WebhookEndpointRecord[]>>();
  const byId = new Map<string, Promise<WebhookEndpointRecord | undefined>>();
  return {
    tenantEndpoints(tenantId) {
      let p = byTenant.get(tenantId);
      if (!p) byTenant.set(tenantId, (p = ctx.deps.endpoints.listAll(tenantId)));
      return p;
    },
    endpoint(tenantId, id) {
      let p = byId.get(id);
      if (!p) byId.set(id, (p = ctx.deps.endpoints.get(tenantId, id)));
      return p;
    },
  };
}
