/**
 * Moving a run between statuses on a store without transactions, like jobs
 * (functions/domain/lifecycle): the status write is one conditional update on the expected status
 * and version; the follow-up (the webhook's outbox entry, for terminal statuses) is an idempotent
 * put with an id derived from the run and status, so a repeated or crashed transition is repaired
 * by doing it again and never sends two webhooks.
 */
import { ConflictError, NotFoundError } from '../../../errors';
import type { Clock } from '../../../ports/clock';
import type { EvalRunPatch, EvalRunRecord, EvalRunStatus, EvalStore } from '../../../ports/evals';
import type { OutboxStore } from '../../../ports/store';
import { RUN_WEBHOOK_EVENTS, canTransitionRun, nextRunStatuses } from './transitions';

export interface RunLifecycleDeps {
  evals: EvalStore;
  stores: { outbox: OutboxStore };
  clock: Clock;
  /** Called after an outbox entry was written (the local stack nudges its webhook worker). */
  onOutbox?: () => void;
}

const MAX_ATTEMPTS = 8;

export async function putRunFollowUps(deps: RunLifecycleDeps, run: EvalRunRecord): Promise<void> {
  const t = run.lastTransition;
  if (!t || t.to !== run.status) return;
  const type = RUN_WEBHOOK_EVENTS[t.to];
  if (!type) return;
  await deps.stores.outbox.put({
    id: `${run.id}:${t.to}`,
    tenantId: run.tenantId,
    type,
    subjectId: run.id,
    createdAt: Math.floor(t.atMs / 1000),
    status: 'pending',
  });
  deps.onOutbox?.();
}

/**
 * Moves run `runId` to `to`. A run already in `to` is returned unchanged (its follow-up re-put);
 * a move the table forbids is a ConflictError naming the allowed ones.
 */
export async function transitionRun(
  deps: RunLifecycleDeps,
  runId: string,
  to: EvalRunStatus,
  opts: { patch?: EvalRunPatch; expectedStatus?: EvalRunStatus } = {},
): Promise<{ run: EvalRunRecord; changed: boolean }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const run = await deps.evals.getRunById(runId);
    if (!run) throw new NotFoundError('eval run', runId);
    if (run.status === to) {
      await putRunFollowUps(deps, run);
      return { run, changed: false };
    }
    if ((opts.expectedStatus && run.status !== opts.expectedStatus) || !canTransitionRun(run.status, to)) {
      const allowed = nextRunStatuses(run.status);
      throw new ConflictError(
        `Eval run ${run.id} is ${run.status} and cannot become ${to} (${allowed.length ? `allowed next: ${allowed.join(', ')}` : 'it is in a final state'}).`,
        'invalid_run_status',
      );
    }
    const atMs = deps.clock.nowMs();
    const patch: EvalRunPatch = {
      ...opts.patch,
      status: to,
      lastTransition: { to, version: run.version + 1, atMs },
    };
    if (to === 'in_progress' && run.startedAtMs === null) patch.startedAtMs = atMs;
    if (RUN_WEBHOOK_EVENTS[to]) {
      patch.finishedAt = Math.floor(atMs / 1000);
      patch.lease = null;
    }
    let updated: EvalRunRecord;
    try {
      updated = await deps.evals.updateRun(runId, { version: run.version, status: run.status }, patch);
    } catch (err) {
      if (err instanceof ConflictError) continue;
      throw err;
    }
    await putRunFollowUps(deps, updated);
    return { run: updated, changed: true };
  }
  throw new ConflictError(
    `Eval run ${runId} kept changing; the move to ${to} was not applied. Retry.`,
    'run_busy',
  );
}
