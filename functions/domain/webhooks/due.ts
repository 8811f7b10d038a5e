/**
 * What is due, and in what order: new outbox entries first (fanned out to deliveries, their first
 * attempts made at once: the schedule's "immediately"), then the retries and redeliveries whose
 * time has come. Page by page, a few attempts in flight at once, and no new work once the run's
 * time is up: what is not taken stays due for the next run.
 */
import { claimDue, fanOutEntry, recordAttempt, type ClaimedDelivery } from './bookkeeping';
import type { EngineContext, RunCache } from './engine-context';
import { sendAttempt } from './send';

/** Pages per call, so one call cannot spin forever on a store that keeps returning work. */
const MAX_ROUNDS = 50;

/** Signs, sends and records one attempt of a delivery this worker holds the lease on; true when it succeeded. */
async function attempt(ctx: EngineContext, claimed: ClaimedDelivery): Promise<boolean> {
  return recordAttempt(ctx, claimed, await sendAttempt(ctx, claimed.delivery, claimed.endpoint));
}

/**
 * Turns pending outbox entries into deliveries and makes their first attempts right away, batch by
 * batch so early events do not wait for late ones.
 */
export async function fanOut(
  ctx: EngineContext,
  nowMs: number,
  cache: RunCache,
  outOfTime: () => boolean = () => false,
): Promise<{ outboxProcessed: number; deliveriesCreated: number; attempts: number; succeeded: number }> {
  const total = { outboxProcessed: 0, deliveriesCreated: 0, attempts: 0, succeeded: 0 };
  for (let round = 0; round < MAX_ROUNDS && !outOfTime(); round++) {
    const entries = await ctx.deps.outbox.listPending(ctx.batchSize);
    if (entries.length === 0) break;
    const fresh: ClaimedDelivery[] = [];
    await eachLimited(entries, ctx.concurrency, async (entry) => {
      try {
        fresh.push(...(await fanOutEntry(ctx, entry, nowMs, cache)));
        total.outboxProcessed++;
      } catch (err) {
        // Left pending: the next run tries again, and the deliveries made so far are not duplicated.
        ctx.log('error', 'fan-out failed', { id: entry.id, error: String(err) });
      }
    });
    total.deliveriesCreated += fresh.length;
    await eachLimited(fresh, ctx.concurrency, async (claimed) => {
      if (outOfTime()) return; // claimed but not sent: due again when the lease runs out
      try {
        const ok = await attempt(ctx, claimed);
        total.attempts++;
        if (ok) total.succeeded++;
      } catch (err) {
        ctx.log('error', 'delivery attempt failed to record', {
          id: claimed.delivery.id,
          error: String(err),
        });
      }
    });
    if (entries.length < ctx.batchSize) break;
  }
  return total;
}

/** Makes every retry (and redelivery) due at `nowMs`. */
export async function deliverDue(
  ctx: EngineContext,
  nowMs: number,
  cache: RunCache,
  outOfTime: () => boolean = () => false,
): Promise<{ attempts: number; succeeded: number }> {
  let attempts = 0;
  let succeeded = 0;
  for (let round = 0; round < MAX_ROUNDS && !outOfTime(); round++) {
    const due = await ctx.deps.deliveries.listDue(nowMs, ctx.batchSize);
    if (due.length === 0) break;
    await eachLimited(due, ctx.concurrency, async (d) => {
      // Unclaimed work stays due for the next run.
      if (outOfTime()) return;
      try {
        const claimed = await claimDue(ctx, d, cache);
        // Undefined: another worker had it, or it was cancelled.
        const ok = claimed ? await attempt(ctx, claimed) : undefined;
        if (ok !== undefined) attempts++;
        if (ok) succeeded++;
      } catch (err) {
        ctx.log('error', 'delivery attempt failed to record', { id: d.id, error: String(err) });
      }
    });
    if (due.length < ctx.batchSize) break;
  }
  return { attempts, succeeded };
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}
