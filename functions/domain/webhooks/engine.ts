/**
 * The delivery engine: turns outbox entries into deliveries (one per event and matching endpoint)
 * and makes the attempts that are due. Its parts: ./due.ts (what is due, page by page, within a
 * time budget), ./send.ts (signing and sending one attempt), ./bookkeeping.ts (deliveries created
 * from the outbox, leases, outcomes recorded, endpoints disabled) and ./retry.ts (the schedule).
 *
 * Guarantees, with no transactions (docs/ARCHITECTURE.md, "Webhooks"):
 *  - one delivery per (event, endpoint): the delivery id is `${outboxId}:${endpointId}` and is
 *    created put-if-absent, so a re-processed or duplicated outbox entry adds nothing;
 *  - an outbox entry is marked dispatched only after its deliveries exist, so a crash in between
 *    is recovered by processing it again;
 *  - an attempt is claimed by a conditional write that pushes `nextAttemptAtMs` past the send
 *    timeout (a lease), so two workers do not send the same attempt; a worker that dies mid-send
 *    leaves the lease to expire and the attempt is made again (at-least-once; the `webhook-id`
 *    stays the same for receivers to de-duplicate).
 */
import { deliverDue, fanOut } from './due';
import {
  engineContext,
  runCache,
  type ProcessSummary,
  type WebhookEngineDeps,
  type WebhookEngineOptions,
} from './engine-context';

export { deliveryIdFor } from './bookkeeping';
export type { ProcessSummary, WebhookEngineDeps, WebhookEngineOptions } from './engine-context';

export function createWebhookEngine(deps: WebhookEngineDeps, options: WebhookEngineOptions = {}) {
  const ctx = engineContext(deps, options);
  return {
    fanOut: (nowMs: number) => fanOut(ctx, nowMs, runCache(ctx)),
    deliverDue: (nowMs: number) => deliverDue(ctx, nowMs, runCache(ctx)),
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
      const cache = runCache(ctx);
      const fan = await fanOut(ctx, nowMs, cache, outOfTime);
      const due = await deliverDue(ctx, nowMs, cache, outOfTime);
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
