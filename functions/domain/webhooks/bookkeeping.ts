/**
 * What the engine writes: the deliveries an outbox entry fans out to (and the entry marked
 * dispatched), the lease that claims a due attempt, an attempt's outcome with the time of the next
 * one, and the endpoint disabled when it answers 410 Gone.
 */
import { ConflictError } from '../../errors';
import type { OutboxRecord } from '../records';
import type { EngineContext, RunCache } from './engine-context';
import { endpointWants, isWebhookEventType, thinEvent } from './events';
import type { DeliveryAttempt, WebhookDeliveryRecord, WebhookEndpointRecord } from './records';
import { classify, nextAttemptAt } from './retry';
import type { SentAttempt } from './send';

/** Keep what a receiver said, but only enough to debug with. */
const SNIPPET_CHARS = 1024;

export interface ClaimedDelivery {
  delivery: WebhookDeliveryRecord;
  endpoint: WebhookEndpointRecord;
}

export function deliveryIdFor(outboxId: string, endpointId: string): string {
  return `${outboxId}:${endpointId}`;
}

/**
 * Creates the entry's deliveries, already claimed for their first attempt (one write instead of
 * create-then-claim; should this worker die, the lease runs out and a sweep makes the attempt), then
 * marks the entry dispatched. Returns the deliveries this call created.
 */
export async function fanOutEntry(
  ctx: EngineContext,
  entry: OutboxRecord,
  nowMs: number,
  cache: RunCache,
): Promise<ClaimedDelivery[]> {
  const fresh: ClaimedDelivery[] = [];
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
          nextAttemptAtMs: nowMs + ctx.leaseMs,
          attempts: [],
          createdAtMs: nowMs,
          updatedAtMs: nowMs,
          version: 1,
        };
        if (await ctx.deps.deliveries.createIfAbsent(delivery)) fresh.push({ delivery, endpoint });
      }),
    );
  } else {
    ctx.log('warn', 'outbox entry of a type no webhook carries; marking it dispatched', {
      id: entry.id,
      type: entry.type,
    });
  }
  await ctx.deps.outbox.markDispatched(entry.id);
  return fresh;
}

/**
 * Claims a due delivery: a conditional write that pushes its next attempt past the lease. Undefined
 * when another worker had it, or when its endpoint is gone or disabled (the delivery is cancelled).
 */
export async function claimDue(
  ctx: EngineContext,
  due: WebhookDeliveryRecord,
  cache: RunCache,
): Promise<ClaimedDelivery | undefined> {
  const claimAt = ctx.deps.clock.nowMs();
  let claimed: WebhookDeliveryRecord;
  try {
    claimed = await ctx.deps.deliveries.update(due.id, due.version, {
      nextAttemptAtMs: claimAt + ctx.leaseMs,
    });
  } catch (err) {
    if (err instanceof ConflictError) return undefined; // another worker has it
    throw err;
  }
  const endpoint = await cache.endpoint(claimed.tenantId, claimed.endpointId);
  if (!endpoint || endpoint.status !== 'enabled') {
    await ctx.deps.deliveries.update(claimed.id, claimed.version, {
      status: 'cancelled',
      nextAttemptAtMs: null,
      updatedAtMs: claimAt,
    });
    return undefined;
  }
  return { delivery: claimed, endpoint };
}

/**
 * Records an attempt on the delivery it was made for: the outcome, the attempt in the log, and when
 * the next one is due (none once it succeeded or the schedule ran out); disables the endpoint on 410.
 * Returns true when the attempt succeeded.
 */
export async function recordAttempt(
  ctx: EngineContext,
  { delivery: claimed, endpoint }: ClaimedDelivery,
  { result, sentAtMs, doneAtMs }: SentAttempt,
): Promise<boolean> {
  const outcome = classify(result, doneAtMs);
  const attemptsMade = claimed.attemptCount + 1;
  const next =
    outcome.kind === 'retry'
      ? nextAttemptAt(
          ctx.policy,
          attemptsMade - claimed.scheduleStart,
          doneAtMs,
          outcome.retryAfterMs,
          ctx.random,
        )
      : null;
  const record: DeliveryAttempt = {
    attemptedAtMs: sentAtMs,
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
    await ctx.deps.deliveries.update(claimed.id, claimed.version, {
      status: outcome.kind === 'success' ? 'succeeded' : next === null ? 'failed' : 'pending',
      attemptCount: attemptsMade,
      nextAttemptAtMs: next,
      attempts: [...claimed.attempts, record].slice(-ctx.attemptsKept),
      updatedAtMs: doneAtMs,
    });
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    // The lease ran out and another worker took over; its record of the attempt stands.
    ctx.log('warn', 'delivery changed during an attempt (lease too short?)', { id: claimed.id });
  }
  if (outcome.kind === 'gone') await disableAsGone(ctx, endpoint);
  return outcome.kind === 'success';
}

async function disableAsGone(ctx: EngineContext, endpoint: WebhookEndpointRecord): Promise<void> {
  let current: WebhookEndpointRecord | undefined = endpoint;
  for (let i = 0; i < 3 && current && current.status === 'enabled'; i++) {
    try {
      await ctx.deps.endpoints.update(current.tenantId, current.id, current.version, {
        status: 'disabled',
        disabledReason: 'gone',
        updatedAtMs: ctx.deps.clock.nowMs(),
      });
      ctx.log('warn', 'endpoint answered 410 Gone; disabled it', { endpointId: current.id });
      return;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      current = await ctx.deps.endpoints.get(endpoint.tenantId, endpoint.id);
    }
  }
}

function describeFailure(statusCode: number): string {
  if (statusCode >= 300 && statusCode < 400) return `HTTP ${statusCode}: redirects are not followed`;
  if (statusCode === 410) return 'HTTP 410: endpoint gone; it has been disabled';
  return `HTTP ${statusCode}`;
}
