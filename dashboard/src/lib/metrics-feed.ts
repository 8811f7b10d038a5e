/**
 * A job's metrics for its charts, read as columns from `GET …/metrics` (our extension): the first
 * load asks for everything (10,000 steps a request), each poll only for the steps after the last
 * one it has. Far less to fetch and parse than paging the events API's event objects.
 */
import { retrieveFineTuningJobMetrics } from '../../../openapi/sdk/sdk.gen';
import { api, unwrap } from './api';

/** The metrics the job page draws. */
export const CHART_FIELDS = [
  'epoch',
  'train_loss',
  'valid_loss',
  'full_valid_loss',
  'train_mean_token_accuracy',
  'valid_mean_token_accuracy',
  'full_valid_mean_token_accuracy',
  'accuracy',
  'lr',
  'grad_norm',
] as const;

export type Field = (typeof CHART_FIELDS)[number];

export interface MetricsColumns {
  step: number[];
  metrics: Record<Field, (number | null)[]>;
}

export class MetricsFeed {
  readonly columns: MetricsColumns = {
    step: [],
    metrics: Object.fromEntries(CHART_FIELDS.map((f) => [f, []])) as unknown as MetricsColumns['metrics'],
  };
  private lastStep: number | undefined;

  constructor(private readonly jobId: string) {}

  /** Reads the steps after the last one it has; returns how many arrived. */
  async update(): Promise<number> {
    let added = 0;
    for (;;) {
      const page = await unwrap(
        retrieveFineTuningJobMetrics({
          client: api(),
          path: { fine_tuning_job_id: this.jobId },
          query: { after_step: this.lastStep, fields: CHART_FIELDS.join(',') },
        }),
      );
      this.columns.step.push(...page.step);
      for (const f of CHART_FIELDS) {
        const values = page.metrics[f] ?? page.step.map(() => null);
        for (const v of values) this.columns.metrics[f].push(v);
      }
      added += page.step.length;
      if (page.last_step !== null) this.lastStep = page.last_step;
      if (!page.has_more) return added;
    }
  }
}
