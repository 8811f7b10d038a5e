/**
 * What the webhook feature stores: endpoints (where and what to send) and deliveries (one per
 * event and endpoint, with the log of its attempts). Times are milliseconds (`…Ms`) because the
 * retry schedule works in seconds and below; the API shows seconds.
 */
import type {
  WebhookDeliveryStatus,
  WebhookDisabledReason,
  WebhookEndpointStatus,
} from '../../../openapi/enums';
import type { TenantId } from '../records';

/** An endpoint's signing secret as stored: sealed (encrypted at rest), never the plain `whsec_…`. */
export interface StoredSecret {
  sealed: string;
  createdAtMs: number;
  /** Set on the previous secret during a rotation: it still signs until then. */
  expiresAtMs: number | null;
}

export type EndpointStatus = WebhookEndpointStatus;
/** Why an endpoint is disabled: by its owner, or because it answered 410 Gone. */
export type DisabledReason = WebhookDisabledReason;

export interface WebhookEndpointRecord {
  id: string; // we_…
  tenantId: TenantId;
  url: string;
  description: string | null;
  /** Event types this endpoint receives; empty means every type. */
  enabledEvents: string[];
  status: EndpointStatus;
  disabledReason: DisabledReason | null;
  /** Newest first; at most two (the current one and, during a rotation, the previous one). */
  secrets: StoredSecret[];
  createdAtMs: number;
  updatedAtMs: number;
  /** Every write is conditional on the version it read. */
  version: number;
}

export type DeliveryStatus = WebhookDeliveryStatus;

export interface DeliveryAttempt {
  attemptedAtMs: number;
  /** Null when no HTTP response came back (blocked address, DNS failure, timeout, reset). */
  statusCode: number | null;
  /** The first bytes of the response body, for the owner's debugging. */
  responseSnippet: string | null;
  error: string | null;
  durationMs: number;
  /** When the next attempt is due after this one; null when this was the last. */
  nextAttemptAtMs: number | null;
}

export interface WebhookDeliveryRecord {
  /** `${outboxId}:${endpointId}`: one delivery per (event, endpoint), however often the event is processed. */
  id: string;
  tenantId: TenantId;
  endpointId: string;
  outboxId: string;
  /** The `webhook-id` header and the payload's `id`: the same on every attempt, so receivers can de-duplicate. */
  eventId: string;
  eventType: string;
  /** The exact body, fixed when the delivery is created so every attempt signs and sends the same bytes. */
  payload: string;
  status: DeliveryStatus;
  attemptCount: number;
  /** `attemptCount` when the current retry series began (a manual redelivery starts a new series). */
  scheduleStart: number;
  /** While pending: when the next attempt is due (also pushed forward while an attempt is in flight). */
  nextAttemptAtMs: number | null;
  /** Newest last; bounded (the oldest are dropped) so the item stays small. */
  attempts: DeliveryAttempt[];
  createdAtMs: number;
  updatedAtMs: number;
  version: number;
}
