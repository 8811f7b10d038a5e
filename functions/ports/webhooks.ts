/**
 * The webhook feature's ports: where endpoints and deliveries are stored, how a signed request
 * leaves the building, and how endpoint secrets are kept sealed at rest.
 *
 * Store rules follow `ports/store.ts`: writes of a record are conditional on the version read
 * (a lost race throws `ConflictError`), and a delivery's id is deterministic, so creating it is
 * an idempotent put-if-absent.
 */
import type { Page, TenantId } from '../domain/records';
import type { WebhookDeliveryRecord, WebhookEndpointRecord } from '../domain/webhooks/records';
import type { ListOptions } from './store';

export interface WebhookEndpointStore {
  /** Throws ConflictError if the id exists. */
  create(endpoint: WebhookEndpointRecord): Promise<void>;
  /** Undefined when absent or another tenant's. */
  get(tenantId: TenantId, id: string): Promise<WebhookEndpointRecord | undefined>;
  /** Newest first. */
  list(tenantId: TenantId, opts: ListOptions): Promise<Page<WebhookEndpointRecord>>;
  /** Every endpoint of the tenant (fan-out reads them all; a tenant has few). */
  listAll(tenantId: TenantId): Promise<WebhookEndpointRecord[]>;
  /** Writes `patch` if the stored endpoint is at `expectedVersion`; returns the new record. ConflictError otherwise. */
  update(
    tenantId: TenantId,
    id: string,
    expectedVersion: number,
    patch: Partial<Omit<WebhookEndpointRecord, 'id' | 'tenantId' | 'version'>>,
  ): Promise<WebhookEndpointRecord>;
  delete(tenantId: TenantId, id: string): Promise<void>;
}

export interface WebhookDeliveryStore {
  /** Put-if-absent on `delivery.id`; true when this call created it. */
  createIfAbsent(delivery: WebhookDeliveryRecord): Promise<boolean>;
  get(id: string): Promise<WebhookDeliveryRecord | undefined>;
  /** An endpoint's deliveries, newest first. */
  listByEndpoint(endpointId: string, opts: ListOptions): Promise<Page<WebhookDeliveryRecord>>;
  /** Pending deliveries whose next attempt is due at `nowMs`, across tenants, earliest first. */
  listDue(nowMs: number, limit: number): Promise<WebhookDeliveryRecord[]>;
  /** Conditional on `expectedVersion`; returns the new record. ConflictError when it moved on. */
  update(
    id: string,
    expectedVersion: number,
    patch: Partial<Omit<WebhookDeliveryRecord, 'id' | 'tenantId' | 'endpointId' | 'version'>>,
  ): Promise<WebhookDeliveryRecord>;
}

export interface WebhookStores {
  endpoints: WebhookEndpointStore;
  deliveries: WebhookDeliveryStore;
}

export interface OutboundRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What came of one attempt. A response of any status is a `response`; everything else is an `error`. */
export type OutboundResult =
  | {
      kind: 'response';
      statusCode: number;
      /** Lower-case names; only the ones the engine reads (retry-after) are required to be present. */
      headers: Record<string, string>;
      bodySnippet: string;
      durationMs: number;
    }
  | {
      kind: 'error';
      /** `blocked`: the target is not a public address (SSRF guard); `timeout`; `network`: DNS, refused, reset, TLS. */
      reason: 'blocked' | 'timeout' | 'network' | 'invalid_url';
      message: string;
      durationMs: number;
    };

/** Sends one webhook request. Never follows redirects; never throws for network trouble. */
export interface WebhookSender {
  send(request: OutboundRequest): Promise<OutboundResult>;
}

/** Keeps endpoint secrets encrypted at rest; only the delivery engine opens them, to sign. */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}
