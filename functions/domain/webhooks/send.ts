/**
 * Signing and sending one attempt of a delivery: Standard Webhooks headers signed with every secret
 * of the endpoint still live (two during a rotation), the delivery's fixed payload as the body.
 */
import type { OutboundResult } from '../../ports/webhooks';
import type { EngineContext } from './engine-context';
import type { WebhookDeliveryRecord, WebhookEndpointRecord } from './records';
import { signedHeaders } from './signing';

export interface SentAttempt {
  result: OutboundResult;
  sentAtMs: number;
  doneAtMs: number;
}

/** The endpoint's secrets that still sign at `nowMs`, opened. */
function liveSecrets(ctx: EngineContext, endpoint: WebhookEndpointRecord, nowMs: number): string[] {
  return endpoint.secrets
    .filter((s) => s.expiresAtMs === null || s.expiresAtMs > nowMs)
    .map((s) => ctx.deps.secrets.open(s.sealed));
}

export async function sendAttempt(
  ctx: EngineContext,
  delivery: WebhookDeliveryRecord,
  endpoint: WebhookEndpointRecord,
): Promise<SentAttempt> {
  const sentAtMs = ctx.deps.clock.nowMs();
  const headers = {
    ...signedHeaders(
      liveSecrets(ctx, endpoint, sentAtMs),
      delivery.eventId,
      Math.floor(sentAtMs / 1000),
      delivery.payload,
    ),
    'content-type': 'application/json',
    'user-agent': 'Tuneplane-Webhooks/1',
  };
  const result = await ctx.deps.sender.send({ url: endpoint.url, headers, body: delivery.payload });
  return { result, sentAtMs, doneAtMs: ctx.deps.clock.nowMs() };
}
