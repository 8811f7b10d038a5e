/**
 * A job's metrics as columns (`GET /v1/fine_tuning/jobs/{id}/metrics`): the `data` of its metrics
 * events, ascending by step, one array per metric aligned with the steps.
 *
 * The event store keeps the numbers of metrics events by step as it writes them (a port method, so
 * each store picks its fastest layout). Events written before it did are not there: a job with no
 * such numbers is read from its event list instead.
 */
import type { JobMetricsObject, JobMetricsQuery } from '../../../openapi/schemas/metrics';
import type { MetricsData } from '../../ports/store';
import { metricsStep } from '../lifecycle/metrics-step';
import type { TenantId } from '../records';
import { getJob, type JobDeps } from './service';

/** Page size when reading an unindexed job's whole event list. */
const EVENT_PAGE = 1000;

export async function jobMetrics(
  deps: Pick<JobDeps, 'stores'>,
  tenantId: TenantId,
  id: string,
  query: JobMetricsQuery,
): Promise<JobMetricsObject> {
  await getJob(deps, tenantId, id);
  let page = await deps.stores.events.metrics(id, { afterStep: query.after_step, limit: query.limit });
  if (page.items.length === 0 && query.after_step === undefined)
    page = await fromEventList(deps, id, query.limit);
  return columns(id, page.items, page.hasMore, query.fields);
}

async function fromEventList(deps: Pick<JobDeps, 'stores'>, id: string, limit: number) {
  const byStep = new Map<number, MetricsData>();
  let after: string | undefined;
  for (;;) {
    const page = await deps.stores.events.list(id, { after, limit: EVENT_PAGE });
    for (const e of page.items) {
      const step = metricsStep(e);
      if (step !== undefined && !byStep.has(step)) byStep.set(step, e.data as MetricsData);
    }
    if (!page.hasMore || !page.items.length) break;
    after = page.items.at(-1)!.id;
  }
  const items = [...byStep.values()].sort((a, b) => a.step - b.step);
  return { items: items.slice(0, limit), hasMore: items.length > limit };
}

/** Steps and one array per metric; `fields` picks and orders the metrics, else every numeric one reported. */
export function columns(
  jobId: string,
  points: MetricsData[],
  hasMore: boolean,
  fields?: string[],
): JobMetricsObject {
  const names =
    fields ??
    [
      ...new Set(
        points.flatMap((p) => Object.keys(p).filter((k) => k !== 'step' && typeof p[k] === 'number')),
      ),
    ].sort();
  const metrics: Record<string, (number | null)[]> = {};
  for (const name of names) {
    metrics[name] = points.map((p) => {
      const v = p[name];
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    });
  }
  return {
    object: 'fine_tuning.job.metrics',
    fine_tuning_job_id: jobId,
    step: points.map((p) => p.step),
    metrics,
    has_more: hasMore,
    last_step: points.at(-1)?.step ?? null,
  };
}
