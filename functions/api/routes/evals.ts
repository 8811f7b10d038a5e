/**
 * /v1/evals: evals, their runs and output items (OpenAI's shapes). Runs are queued here and executed
 * in the background (the composition root's `onRunQueued`: the local worker, or a Batch job).
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import {
  cancelEvalRunRoute,
  createEvalRoute,
  createEvalRunRoute,
  deleteEvalRoute,
  deleteEvalRunRoute,
  listEvalRunsRoute,
  listEvalsRoute,
  listOutputItemsRoute,
  retrieveEvalRoute,
  retrieveEvalRunRoute,
  retrieveOutputItemRoute,
  updateEvalRoute,
} from '../../../openapi/routes/evals';
import type { EvalRunCreate } from '../../../openapi/schemas/eval-run';
import type { EvalCreate } from '../../../openapi/schemas/eval';
import {
  cancelRun,
  createEval,
  createRun,
  deleteEval,
  deleteRun,
  getEval,
  getOutputItem,
  getRun,
  listEvals,
  listOutputItems,
  listRuns,
  updateEval,
  type EvalServiceDeps,
} from '../../domain/evals/service';
import type { ApiContext } from '../context';
import type { EvalApiDeps } from '../deps';
import type { ApiEnv } from '../env';
import { presentList } from '../present';
import { presentEval, presentOutputItem, presentRun } from './evals-present';

export function registerEvalRoutes(app: OpenAPIHono<ApiEnv>, ctx: ApiContext, evals: EvalApiDeps) {
  const deps: EvalServiceDeps = {
    evals: evals.store,
    stores: ctx.stores,
    blobs: ctx.blobs,
    clock: ctx.clock,
    ids: ctx.ids,
    sampler: ctx.sampler,
    onRunQueued: evals.onRunQueued,
    onRunCanceled: evals.onRunCanceled,
    onOutbox: evals.onOutbox,
  };
  const origin = (url: string) => new URL(url).origin;

  app.openapi(createEvalRoute, async (c) => {
    const e = await createEval(deps, c.get('tenantId'), c.req.valid('json') as EvalCreate);
    return c.json(presentEval(e), 201);
  });

  app.openapi(listEvalsRoute, async (c) => {
    const { after, limit, order } = c.req.valid('query');
    return c.json(
      presentList(await listEvals(deps, c.get('tenantId'), { after, limit, order }), presentEval),
      200,
    );
  });

  app.openapi(retrieveEvalRoute, async (c) => {
    return c.json(presentEval(await getEval(deps, c.get('tenantId'), c.req.valid('param').eval_id)), 200);
  });

  app.openapi(updateEvalRoute, async (c) => {
    const e = await updateEval(deps, c.get('tenantId'), c.req.valid('param').eval_id, c.req.valid('json'));
    return c.json(presentEval(e), 200);
  });

  app.openapi(deleteEvalRoute, async (c) => {
    const id = c.req.valid('param').eval_id;
    await deleteEval(deps, c.get('tenantId'), id);
    return c.json({ object: 'eval.deleted' as const, deleted: true, eval_id: id }, 200);
  });

  app.openapi(createEvalRunRoute, async (c) => {
    const run = await createRun(
      deps,
      c.get('tenantId'),
      c.req.valid('param').eval_id,
      c.req.valid('json') as EvalRunCreate,
    );
    return c.json(presentRun(run, origin(c.req.url)), 201);
  });

  app.openapi(listEvalRunsRoute, async (c) => {
    const { after, limit, order, status } = c.req.valid('query');
    const page = await listRuns(deps, c.get('tenantId'), c.req.valid('param').eval_id, {
      after,
      limit,
      order,
      status,
    });
    return c.json(
      presentList(page, (r) => presentRun(r, origin(c.req.url))),
      200,
    );
  });

  app.openapi(retrieveEvalRunRoute, async (c) => {
    const { eval_id, run_id } = c.req.valid('param');
    return c.json(presentRun(await getRun(deps, c.get('tenantId'), eval_id, run_id), origin(c.req.url)), 200);
  });

  app.openapi(cancelEvalRunRoute, async (c) => {
    const { eval_id, run_id } = c.req.valid('param');
    return c.json(
      presentRun(await cancelRun(deps, c.get('tenantId'), eval_id, run_id), origin(c.req.url)),
      200,
    );
  });

  app.openapi(deleteEvalRunRoute, async (c) => {
    const { eval_id, run_id } = c.req.valid('param');
    await deleteRun(deps, c.get('tenantId'), eval_id, run_id);
    return c.json({ object: 'eval.run.deleted' as const, deleted: true, run_id }, 200);
  });

  app.openapi(listOutputItemsRoute, async (c) => {
    const { eval_id, run_id } = c.req.valid('param');
    const page = await listOutputItems(deps, c.get('tenantId'), eval_id, run_id, c.req.valid('query'));
    return c.json(presentList(page, presentOutputItem), 200);
  });

  app.openapi(retrieveOutputItemRoute, async (c) => {
    const { eval_id, run_id, output_item_id } = c.req.valid('param');
    return c.json(
      presentOutputItem(await getOutputItem(deps, c.get('tenantId'), eval_id, run_id, output_item_id)),
      200,
    );
  });
}
