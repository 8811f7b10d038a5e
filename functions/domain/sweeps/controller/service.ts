/**
 * Sweep operations for a tenant (what the API calls). They only write the sweep record and its
 * outbox entry; the controller pass does the work on trials (a user's cancel also stops the
 * trial jobs right away, so nothing keeps training after the response).
 */
import { randomInt } from 'node:crypto';
import type { SweepCreate } from '../../../../openapi/schemas/sweep-resource';
import { ConflictError, NotFoundError } from '../../../errors';
import type { ListOptions } from '../../../ports/store';
import type { SweepPatch, SweepRecord, SweepStatus, TrialRecord } from '../../../ports/sweeps';
import type { Page, TenantId } from '../../records';
import { putOutbox } from './advance';
import type { ControllerDeps } from './deps';
import { stopTrialJob } from './trial-jobs';
import { countStates, isActiveTrial } from './view';
import { validateSweepRequest } from './validate';

export async function createSweep(
  deps: ControllerDeps,
  tenantId: TenantId,
  req: SweepCreate,
): Promise<SweepRecord> {
  await validateSweepRequest(deps, tenantId, req);
  const strategySeed = req.strategy.type === 'grid' ? undefined : req.strategy.seed;
  const seed = strategySeed ?? req.base_job.seed ?? randomInt(0, 2_147_483_647);
  const t = deps.clock.nowMs();
  const sweep: SweepRecord = {
    id: deps.ids.next('ftsweep-'),
    tenantId,
    status: 'running',
    version: 1,
    config: {
      search_space: req.search_space,
      objective: req.objective,
      strategy: req.strategy.type === 'grid' ? req.strategy : { ...req.strategy, seed },
      early_stopping: req.early_stopping,
      limits: req.limits,
      completion: req.completion,
      warm_start: req.warm_start,
    },
    baseJob: req.base_job,
    seed,
    staleAfterSeconds: req.stale_after_seconds,
    metadata: req.metadata ?? {},
    createdAt: Math.floor(t / 1000),
    startedAtMs: t,
    finishedAt: null,
    pausedAtMs: null,
    pausedTotalMs: 0,
    trialCount: 0,
    exhausted: false,
    statusReason: null,
    error: null,
    best: null,
    counts: countStates([]),
    lease: null,
    finishedTransition: null,
    settled: false,
  };
  await deps.sweeps.create(sweep);
  return sweep;
}

export async function getSweep(
  deps: Pick<ControllerDeps, 'sweeps'>,
  tenantId: TenantId,
  id: string,
): Promise<SweepRecord> {
  const sweep = await deps.sweeps.get(tenantId, id);
  if (!sweep) throw new NotFoundError('sweep', id, 'sweep_id');
  return sweep;
}

export function listSweeps(
  deps: Pick<ControllerDeps, 'sweeps'>,
  tenantId: TenantId,
  opts: ListOptions,
): Promise<Page<SweepRecord>> {
  return deps.sweeps.list(tenantId, opts);
}

/** Trials by number; `after` is the id (job id) of the last trial of the previous page. */
export async function listTrials(
  deps: Pick<ControllerDeps, 'sweeps'>,
  tenantId: TenantId,
  id: string,
  opts: ListOptions,
): Promise<Page<TrialRecord>> {
  await getSweep(deps, tenantId, id);
  const all = await deps.sweeps.listTrials(id);
  const from = opts.after ? all.findIndex((t) => t.jobId === opts.after) + 1 : 0;
  const items = all.slice(from, from + opts.limit);
  return { items, hasMore: from + opts.limit < all.length };
}

/** A conditional status write, retried over concurrent controller writes (which never change the status). */
async function move(
  deps: ControllerDeps,
  tenantId: TenantId,
  id: string,
  allowedFrom: SweepStatus[],
  action: string,
  code: string,
  patch: (s: SweepRecord, nowMs: number) => SweepPatch,
): Promise<SweepRecord> {
  for (let i = 0; i < 8; i++) {
    const sweep = await getSweep(deps, tenantId, id);
    if (!allowedFrom.includes(sweep.status)) {
      throw new ConflictError(`Sweep ${id} is ${sweep.status}; it cannot be ${action}.`, code);
    }
    try {
      return await deps.sweeps.update(
        id,
        { version: sweep.version, status: sweep.status },
        patch(sweep, deps.clock.nowMs()),
      );
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  throw new ConflictError(`Sweep ${id} kept changing; retry.`, 'sweep_busy');
}

export async function cancelSweep(
  deps: ControllerDeps,
  tenantId: TenantId,
  id: string,
): Promise<SweepRecord> {
  const sweep = await move(
    deps,
    tenantId,
    id,
    ['running', 'paused'],
    'cancelled',
    'sweep_not_cancellable',
    (_s, t) => ({
      status: 'cancelled',
      statusReason: 'cancelled',
      finishedAt: Math.floor(t / 1000),
      finishedTransition: { to: 'cancelled', atMs: t },
    }),
  );
  await putOutbox(deps, sweep);
  // Stop the jobs now; the controller marks the trials cancelled on its next pass.
  for (const t of (await deps.sweeps.listTrials(id)).filter(isActiveTrial))
    await stopTrialJob(deps, sweep, t.jobId);
  return sweep;
}

export function pauseSweep(deps: ControllerDeps, tenantId: TenantId, id: string): Promise<SweepRecord> {
  return move(deps, tenantId, id, ['running'], 'paused', 'sweep_not_pausable', (_s, t) => ({
    status: 'paused',
    pausedAtMs: t,
  }));
}

export function resumeSweep(deps: ControllerDeps, tenantId: TenantId, id: string): Promise<SweepRecord> {
  return move(deps, tenantId, id, ['paused'], 'resumed', 'sweep_not_resumable', (s, t) => ({
    status: 'running',
    pausedAtMs: null,
    pausedTotalMs: s.pausedTotalMs + (s.pausedAtMs !== null ? t - s.pausedAtMs : 0),
  }));
}
