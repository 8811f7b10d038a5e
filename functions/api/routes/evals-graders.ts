/** /v1/fine_tuning/alpha/graders: run a grader on one sample, or validate a definition. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { runGraderRoute, validateGraderRoute } from '../../../openapi/routes/evals-graders';
import { runGrader, validateGrader } from '../../domain/evals/run-grader';
import type { ApiContext } from '../context';
import type { ApiEnv } from '../env';

export function registerGraderRoutes(app: OpenAPIHono<ApiEnv>, ctx: ApiContext) {
  const deps = { clock: ctx.clock, sampler: ctx.sampler };

  app.openapi(runGraderRoute, async (c) => {
    return c.json(await runGrader(deps, c.get('tenantId'), c.req.valid('json')), 200);
  });

  app.openapi(validateGraderRoute, async (c) => {
    return c.json(validateGrader(c.req.valid('json').grader), 200);
  });
}
