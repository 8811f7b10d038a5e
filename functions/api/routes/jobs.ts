import type { OpenAPIHono } from '@hono/zod-openapi';
import {
  cancelJobRoute,
  checkpointWeightsRoute,
  createJobRoute,
  estimateJobRoute,
  listJobCheckpointsRoute,
  listJobEventsRoute,
  listJobsRoute,
  pauseJobRoute,
  retrieveJobMetricsRoute,
  resumeJobRoute,
  retrieveJobRoute,
} from '../../../openapi/routes/jobs';
import { estimateFromPlan } from '../../domain/estimate';
import {
  cancelJob,
  checkpointWeightsKey,
  createJob,
  getJob,
  jobMetrics,
  listJobCheckpoints,
  listJobEvents,
  listJobs,
  pauseJob,
  planJob,
  resumeJob,
} from '../../domain/jobs';
import { NotFoundError, ValidationError } from '../../errors';
import type { ApiContext } from '../context';
import type { ApiEnv } from '../env';
import { presentCheckpoint, presentEvent, presentJob, presentList } from '../present';
import { byPathId } from './by-id';

/** `metadata[key]=value` query pairs (OpenAI's deepObject filter). */
function metadataFilter(queries: Record<string, string[]>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(queries)) {
    const m = /^metadata\[(.+)\]$/.exec(name);
    if (!m) continue;
    if (values.length !== 1) throw new ValidationError(`${name}: give one value per metadata key`, name);
    out[m[1]] = values[0];
  }
  // A job holds at most 16 metadata keys, so a longer filter matches nothing; it would also pass
  // DynamoDB's 4 KB expression limit, which answers with an error rather than an empty page.
  if (Object.keys(out).length > 16)
    throw new ValidationError('metadata: filter on at most 16 metadata keys', 'metadata');
  return Object.keys(out).length ? out : undefined;
}

export function registerJobRoutes(app: OpenAPIHono<ApiEnv>, ctx: ApiContext) {
  const job = (j: Parameters<typeof presentJob>[0]) => presentJob(j, ctx.config.organizationId);

  app.openapi(estimateJobRoute, async (c) => {
    const req = c.req.valid('json');
    const plan = await planJob(ctx, c.get('tenantId'), req, req.seed ?? 0);
    const estimate = estimateFromPlan(plan);
    if (req.seed == null) {
      estimate.hyperparameter_explanations.seed =
        'not given: the job will draw one at random (0 is shown here)';
    }
    return c.json(estimate, 200);
  });

  app.openapi(createJobRoute, async (c) => {
    return c.json(job(await createJob(ctx, c.get('tenantId'), c.req.valid('json'))), 200);
  });

  app.openapi(listJobsRoute, async (c) => {
    const { after, limit, status, model, provider } = c.req.valid('query');
    const page = await listJobs(ctx, c.get('tenantId'), {
      after,
      limit,
      status,
      model,
      provider,
      metadata: metadataFilter(c.req.queries()),
    });
    return c.json(presentList(page, job), 200);
  });

  const byId = byPathId('fine_tuning_job_id', ctx, job);
  app.openapi(retrieveJobRoute, byId(getJob));
  app.openapi(cancelJobRoute, byId(cancelJob));
  app.openapi(pauseJobRoute, byId(pauseJob));
  app.openapi(resumeJobRoute, byId(resumeJob));

  // Pages of the job named in the path (its existence and tenant checked first).
  app.openapi(listJobEventsRoute, async (c) => {
    const id = c.req.valid('param').fine_tuning_job_id;
    const page = await listJobEvents(ctx, c.get('tenantId'), id, c.req.valid('query'));
    return c.json(presentList(page, presentEvent), 200);
  });
  app.openapi(retrieveJobMetricsRoute, async (c) => {
    const id = c.req.valid('param').fine_tuning_job_id;
    return c.json(await jobMetrics(ctx, c.get('tenantId'), id, c.req.valid('query')), 200);
  });
  app.openapi(listJobCheckpointsRoute, async (c) => {
    const id = c.req.valid('param').fine_tuning_job_id;
    const page = await listJobCheckpoints(ctx, c.get('tenantId'), id, c.req.valid('query'));
    return c.json(presentList(page, presentCheckpoint), 200);
  });

  app.openapi(checkpointWeightsRoute, async (c) => {
    const { fine_tuning_job_id: jobId, checkpoint_id: id } = c.req.valid('param');
    const key = await checkpointWeightsKey(ctx, c.get('tenantId'), jobId, id);
    const head = await ctx.blobs.head(key);
    // A record whose files the checkpoint manager already pruned.
    if (!head) throw new NotFoundError('checkpoint weights', id, 'checkpoint_id');
    return new Response(await ctx.blobs.getStream(key), {
      status: 200,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(head.bytes),
        'content-disposition': `attachment; filename="${id}.safetensors"`,
      },
    }) as never;
  });
}
