/**
 * /v1/fine_tuning/sweeps: create, list, retrieve, cancel, pause, resume, and the trial list.
 * Handlers call the sweep controller's service functions; after a change they tell the
 * composition root (`onChange`), which runs a controller pass for the sweep.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import {
  cancelSweepRoute,
  createSweepRoute,
  listSweepTrialsRoute,
  listSweepsRoute,
  pauseSweepRoute,
  resumeSweepRoute,
  retrieveSweepRoute,
} from '../../../openapi/routes/sweeps';
import type { SweepObject, TrialObject } from '../../../openapi/schemas/sweep-resource';
import {
  cancelSweep,
  createSweep,
  getSweep,
  listSweeps,
  listTrials,
  pauseSweep,
  resumeSweep,
  trialRequest,
  type ControllerDeps,
} from '../../domain/sweeps/controller';
import type { JobRecord } from '../../domain/records';
import type { SweepRecord, TrialRecord } from '../../ports/sweeps';
import type { ApiContext } from '../context';
import type { SweepApiDeps } from '../deps';
import type { ApiEnv } from '../env';
import { presentList } from '../present';

const sec = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

const hyperparametersOf = (s: SweepRecord, t: { number: number; params: TrialRecord['params'] }) =>
  trialRequest(s, t).method!.supervised!.hyperparameters!;

export function presentSweep(s: SweepRecord): SweepObject {
  const c = s.config;
  return {
    id: s.id,
    object: 'fine_tuning.sweep',
    created_at: s.createdAt,
    started_at: sec(s.startedAtMs),
    finished_at: s.finishedAt,
    status: s.status,
    status_reason: s.statusReason,
    error: s.error,
    base_job: s.baseJob,
    search_space: c.search_space,
    objective: c.objective,
    strategy: c.strategy,
    early_stopping: c.early_stopping,
    limits: c.limits,
    completion: c.completion ?? null,
    warm_start: c.warm_start ?? null,
    stale_after_seconds: s.staleAfterSeconds,
    metadata: Object.keys(s.metadata).length ? s.metadata : null,
    trial_counts: { total: s.trialCount, ...s.counts },
    best_trial: s.best
      ? {
          trial_number: s.best.number,
          fine_tuning_job_id: s.best.jobId,
          parameters: s.best.params,
          hyperparameters: hyperparametersOf(s, s.best),
          objective_value: s.best.value,
          fine_tuned_model: s.best.fineTunedModel,
        }
      : null,
  };
}

export function presentTrial(s: SweepRecord, t: TrialRecord, job: JobRecord | undefined): TrialObject {
  return {
    id: t.jobId,
    object: 'fine_tuning.sweep.trial',
    sweep_id: t.sweepId,
    number: t.number,
    state: t.state,
    job_status: job?.status ?? null,
    parameters: t.params,
    hyperparameters: hyperparametersOf(s, t),
    objective_value: t.value,
    reports: t.reports.map((r) => ({ step: r.step, value: r.value })),
    fine_tuned_model: t.fineTunedModel ?? job?.fineTunedModel ?? null,
    previous_job_ids: t.previousJobIds,
    created_at: Math.floor(t.createdAtMs / 1000),
    finished_at: sec(t.finishedAtMs),
    error: t.error,
  };
}

export function registerSweepRoutes(app: OpenAPIHono<ApiEnv>, ctx: ApiContext, sweeps: SweepApiDeps) {
  const deps: ControllerDeps = { ...ctx, sweeps: sweeps.store };
  const changed = (s: SweepRecord) => {
    sweeps.onChange?.(s.id);
    return presentSweep(s);
  };

  app.openapi(createSweepRoute, async (c) => {
    return c.json(changed(await createSweep(deps, c.get('tenantId'), c.req.valid('json'))), 200);
  });

  app.openapi(listSweepsRoute, async (c) => {
    const { after, limit } = c.req.valid('query');
    return c.json(
      presentList(await listSweeps(deps, c.get('tenantId'), { after, limit }), presentSweep),
      200,
    );
  });

  app.openapi(retrieveSweepRoute, async (c) => {
    return c.json(presentSweep(await getSweep(deps, c.get('tenantId'), c.req.valid('param').sweep_id)), 200);
  });

  app.openapi(cancelSweepRoute, async (c) => {
    return c.json(changed(await cancelSweep(deps, c.get('tenantId'), c.req.valid('param').sweep_id)), 200);
  });

  app.openapi(pauseSweepRoute, async (c) => {
    return c.json(changed(await pauseSweep(deps, c.get('tenantId'), c.req.valid('param').sweep_id)), 200);
  });

  app.openapi(resumeSweepRoute, async (c) => {
    return c.json(changed(await resumeSweep(deps, c.get('tenantId'), c.req.valid('param').sweep_id)), 200);
  });

  app.openapi(listSweepTrialsRoute, async (c) => {
    const { after, limit } = c.req.valid('query');
    const id = c.req.valid('param').sweep_id;
    const page = await listTrials(deps, c.get('tenantId'), id, { after, limit });
    const sweep = await getSweep(deps, c.get('tenantId'), id);
    const jobs = await Promise.all(page.items.map((t) => ctx.stores.jobs.getById(t.jobId)));
    const items = page.items.map((t, i) => presentTrial(sweep, t, jobs[i]));
    return c.json(
      presentList({ items, hasMore: page.hasMore }, (x) => x),
      200,
    );
  });
}
