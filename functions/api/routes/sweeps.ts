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
import {
  cancelSweep,
  createSweep,
  getSweep,
  listSweeps,
  listTrials,
  pauseSweep,
  resumeSweep,
  type ControllerDeps,
} from '../../domain/sweeps/controller';
import type { SweepRecord } from '../../ports/sweeps';
import type { ApiContext } from '../context';
import type { SweepApiDeps } from '../deps';
import type { ApiEnv } from '../env';
import { presentList, presentSweep, presentTrial } from '../present';
import { byPathId } from './by-id';

export function registerSweepRoutes(app: OpenAPIHono<ApiEnv>, ctx: ApiContext, sweeps: SweepApiDeps) {
  const deps: ControllerDeps = {
    ...ctx,
    sweeps: sweeps.store,
    // Validates eval objectives; the controller (local worker, reconciler) runs the evals.
    evalService: ctx.evals && {
      evals: ctx.evals.store,
      stores: ctx.stores,
      blobs: ctx.blobs,
      clock: ctx.clock,
      ids: ctx.ids,
      sampler: ctx.sampler,
    },
  };
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

  app.openapi(retrieveSweepRoute, byPathId('sweep_id', deps, presentSweep)(getSweep));
  // A change runs a controller pass for the sweep.
  const changeById = byPathId('sweep_id', deps, changed);
  app.openapi(cancelSweepRoute, changeById(cancelSweep));
  app.openapi(pauseSweepRoute, changeById(pauseSweep));
  app.openapi(resumeSweepRoute, changeById(resumeSweep));

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
