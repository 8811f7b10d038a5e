/**
 * Managing endpoints and their deliveries on behalf of a tenant: what the API routes call.
 * Secrets are generated here, handed back once (create, rotate) and stored only sealed.
 */
import { ConflictError, NotFoundError, ValidationError } from '../../errors';
import type { Clock, IdGenerator } from '../../ports/clock';
import type { ListOptions } from '../../ports/store';
import type { SecretBox, WebhookDeliveryStore, WebhookEndpointStore } from '../../ports/webhooks';
import type { Page, TenantId } from '../records';
import type { WebhookDeliveryRecord, WebhookEndpointRecord } from './records';
import { generateSecret } from './signing';

/** Fan-out reads every endpoint of a tenant per event, so a tenant keeps a handful. */
export const MAX_ENDPOINTS_PER_TENANT = 20;
export const DEFAULT_ROTATION_GRACE_SECONDS = 24 * 3600;
export const MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 3600;

export interface EndpointServiceDeps {
  endpoints: WebhookEndpointStore;
  deliveries: WebhookDeliveryStore;
  secrets: SecretBox;
  clock: Clock;
  ids: IdGenerator;
  /** Returns why a URL may never be a webhook target (scheme, literal private address), or null. */
  checkUrl: (url: string) => string | null;
  /** Called after a redelivery is scheduled, so a worker can pick it up at once. */
  onWork?: () => void;
}

export interface EndpointInput {
  url: string;
  enabledEvents?: string[];
  description?: string | null;
}

export interface EndpointPatch {
  url?: string;
  enabledEvents?: string[];
  description?: string | null;
  enabled?: boolean;
}

export function createEndpointService(deps: EndpointServiceDeps) {
  function assertUrl(url: string): void {
    const problem = deps.checkUrl(url);
    if (problem) throw new ValidationError(`url ${problem}`, 'url', 'invalid_url');
  }

  async function mustGet(tenantId: TenantId, id: string): Promise<WebhookEndpointRecord> {
    const ep = await deps.endpoints.get(tenantId, id);
    if (!ep) throw new NotFoundError('webhook endpoint', id, 'endpoint_id');
    return ep;
  }

  /** Read-modify-write with a few retries when a concurrent write (e.g. the engine disabling on 410) wins. */
  async function modify(
    tenantId: TenantId,
    id: string,
    change: (ep: WebhookEndpointRecord) => Partial<WebhookEndpointRecord>,
  ): Promise<WebhookEndpointRecord> {
    for (let i = 0; ; i++) {
      const ep = await mustGet(tenantId, id);
      try {
        return await deps.endpoints.update(tenantId, id, ep.version, {
          ...change(ep),
          updatedAtMs: deps.clock.nowMs(),
        });
      } catch (err) {
        if (!(err instanceof ConflictError) || i >= 2) throw err;
      }
    }
  }

  return {
    async create(
      tenantId: TenantId,
      input: EndpointInput,
    ): Promise<{ endpoint: WebhookEndpointRecord; secret: string }> {
      assertUrl(input.url);
      const existing = await deps.endpoints.listAll(tenantId);
      if (existing.length >= MAX_ENDPOINTS_PER_TENANT) {
        throw new ValidationError(
          `A tenant can have at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints; delete one first.`,
          'url',
          'too_many_endpoints',
        );
      }
      const now = deps.clock.nowMs();
      const secret = generateSecret();
      const endpoint: WebhookEndpointRecord = {
        id: deps.ids.next('we_'),
        tenantId,
        url: input.url,
        description: input.description ?? null,
        enabledEvents: dedupe(input.enabledEvents ?? []),
        status: 'enabled',
        disabledReason: null,
        secrets: [{ sealed: deps.secrets.seal(secret), createdAtMs: now, expiresAtMs: null }],
        createdAtMs: now,
        updatedAtMs: now,
        version: 1,
      };
      await deps.endpoints.create(endpoint);
      return { endpoint, secret };
    },

    get: mustGet,

    list(tenantId: TenantId, opts: ListOptions): Promise<Page<WebhookEndpointRecord>> {
      return deps.endpoints.list(tenantId, opts);
    },

    async update(tenantId: TenantId, id: string, patch: EndpointPatch): Promise<WebhookEndpointRecord> {
      if (patch.url !== undefined) assertUrl(patch.url);
      return modify(tenantId, id, (ep) => ({
        ...(patch.url !== undefined && { url: patch.url }),
        ...(patch.enabledEvents !== undefined && { enabledEvents: dedupe(patch.enabledEvents) }),
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.enabled === true && { status: 'enabled' as const, disabledReason: null }),
        ...(patch.enabled === false &&
          ep.status === 'enabled' && { status: 'disabled' as const, disabledReason: 'manual' as const }),
      }));
    },

    disable(tenantId: TenantId, id: string): Promise<WebhookEndpointRecord> {
      return modify(tenantId, id, (ep) =>
        ep.status === 'disabled' ? {} : { status: 'disabled', disabledReason: 'manual' },
      );
    },

    /**
     * A new secret signs from now on; the previous one keeps signing too (a second signature in
     * `webhook-signature`) for the grace period, so receivers can switch without dropping events.
     */
    async rotateSecret(
      tenantId: TenantId,
      id: string,
      graceSeconds: number = DEFAULT_ROTATION_GRACE_SECONDS,
    ): Promise<{ endpoint: WebhookEndpointRecord; secret: string }> {
      if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_ROTATION_GRACE_SECONDS) {
        throw new ValidationError(
          `grace_period_seconds must be an integer from 0 to ${MAX_ROTATION_GRACE_SECONDS}.`,
          'grace_period_seconds',
        );
      }
      const secret = generateSecret();
      const endpoint = await modify(tenantId, id, (ep) => {
        const now = deps.clock.nowMs();
        const current = ep.secrets.find((s) => s.expiresAtMs === null) ?? ep.secrets[0];
        const fresh = { sealed: deps.secrets.seal(secret), createdAtMs: now, expiresAtMs: null };
        return {
          secrets:
            graceSeconds > 0 && current
              ? [fresh, { ...current, expiresAtMs: now + graceSeconds * 1000 }]
              : [fresh],
        };
      });
      return { endpoint, secret };
    },

    async delete(tenantId: TenantId, id: string): Promise<void> {
      await mustGet(tenantId, id);
      await deps.endpoints.delete(tenantId, id);
    },

    async listDeliveries(
      tenantId: TenantId,
      endpointId: string,
      opts: ListOptions,
    ): Promise<Page<WebhookDeliveryRecord>> {
      await mustGet(tenantId, endpointId);
      return deps.deliveries.listByEndpoint(endpointId, opts);
    },

    /**
     * Schedules one more series of attempts, starting now. The event keeps its `webhook-id`, so a
     * receiver that already processed it can recognise the repeat.
     */
    async redeliver(
      tenantId: TenantId,
      endpointId: string,
      deliveryId: string,
    ): Promise<WebhookDeliveryRecord> {
      const ep = await mustGet(tenantId, endpointId);
      const delivery = await deps.deliveries.get(deliveryId);
      if (!delivery || delivery.tenantId !== tenantId || delivery.endpointId !== endpointId) {
        throw new NotFoundError('webhook delivery', deliveryId, 'delivery_id');
      }
      if (ep.status !== 'enabled') {
        throw new ConflictError(
          `Webhook endpoint '${endpointId}' is disabled; enable it before redelivering.`,
          'endpoint_disabled',
        );
      }
      const now = deps.clock.nowMs();
      const updated = await deps.deliveries.update(delivery.id, delivery.version, {
        status: 'pending',
        nextAttemptAtMs: now,
        scheduleStart: delivery.status === 'pending' ? delivery.scheduleStart : delivery.attemptCount,
        updatedAtMs: now,
      });
      deps.onWork?.();
      return updated;
    },
  };
}

export type EndpointService = ReturnType<typeof createEndpointService>;

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}
