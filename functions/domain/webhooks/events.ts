/**
 * The events we send and their thin payloads (OpenAI's shape: the receiver fetches the object by
 * id, so a payload never carries data that could be stale or sensitive).
 */
import { createHash } from 'node:crypto';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../../openapi/enums';

export { WEBHOOK_EVENT_TYPES, type WebhookEventType };

export function isWebhookEventType(type: string): type is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type);
}

/** An endpoint with no filter receives every type. */
export function endpointWants(enabledEvents: readonly string[], type: string): boolean {
  return enabledEvents.length === 0 || enabledEvents.includes(type);
}

/**
 * The event id is derived from the outbox id, so processing the same outbox entry twice yields the
 * same `webhook-id` and receivers that de-duplicate on it see one event.
 */
export function eventIdFor(outboxId: string): string {
  return `evt_${createHash('sha256').update(outboxId).digest('base64url').slice(0, 24)}`;
}

export interface ThinEvent {
  id: string;
  object: 'event';
  type: string;
  /** Unix seconds. */
  created_at: number;
  data: { id: string };
}

export function thinEvent(args: {
  outboxId: string;
  type: string;
  subjectId: string;
  createdAt: number;
}): ThinEvent {
  return {
    id: eventIdFor(args.outboxId),
    object: 'event',
    type: args.type,
    created_at: args.createdAt,
    data: { id: args.subjectId },
  };
}
