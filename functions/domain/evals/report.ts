/**
 * A run's report, for people: what report_url opens. The URL carries the run's report token (made
 * at random when the run is created), so it opens in a browser without an API key; it shows that
 * one run only, and deleting the run revokes it.
 */
import { timingSafeEqual } from 'node:crypto';
import { NotFoundError } from '../../errors';
import type { EvalRecord, EvalRunRecord, EvalStore, OutputItemRecord } from '../../ports/evals';

export interface RunReport {
  run: EvalRunRecord;
  eval: EvalRecord;
  /** The first rows (up to `limit`), by row. */
  items: OutputItemRecord[];
  moreItems: boolean;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function runReport(
  deps: { evals: EvalStore },
  runId: string,
  token: string,
  limit = 200,
): Promise<RunReport> {
  const run = await deps.evals.getRunById(runId);
  // A wrong token looks like a missing run: the URL reveals nothing about runs it does not open.
  if (!run || run.deleted || !sameToken(run.reportToken, token))
    throw new NotFoundError('eval run report', runId, 'run_id');
  const e = await deps.evals.getEval(run.tenantId, run.evalId);
  if (!e) throw new NotFoundError('eval run report', runId, 'run_id');
  const page = await deps.evals.listOutputItems(run.id, { limit, order: 'asc' });
  return { run, eval: e, items: page.items, moreItems: page.hasMore };
}

export function reportPath(run: Pick<EvalRunRecord, 'id' | 'reportToken'>): string {
  return `/v1/eval_reports/${run.id}?token=${encodeURIComponent(run.reportToken)}`;
}
