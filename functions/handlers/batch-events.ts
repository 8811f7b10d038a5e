/**
 * Lambda entry point: AWS Batch "Batch Job State Change" events of our queue (EventBridge rule in
 * infra/aws/constructs/events.ts) → the dispatch domain's `handleBatchStateChange`, which moves the
 * job with conditional, idempotent transitions (events come at least once, in any order).
 */
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { z } from 'zod';
import { loadBatchEventsConfig } from '../config';
import { DynamoEvalStore, createDynamoStores, documentClientFor } from '../adapters/dynamodb';
import { evalRunIdOf, handleEvalBatchState, type EvalBatchOutcome } from '../domain/evals/runs';
import {
  handleBatchStateChange,
  tuneplaneJobIdOf,
  type BatchJobDetail,
  type BatchOutcome,
} from '../domain/dispatch';
import { Metric, createObservability, withJobId } from '../observability';
import { systemClock } from '../ports/clock';

const config = loadBatchEventsConfig(process.env);
const obs = createObservability('batch-events');
const doc = documentClientFor(config);
const deps = { stores: createDynamoStores(doc, config.tableName), clock: systemClock };
const evalDeps = {
  ...deps,
  evals: new DynamoEvalStore({ doc, table: config.tableName, clock: systemClock }),
};

/** What we rely on in the event; the rest of `detail` is passed through to the domain untouched. */
const BatchStateChangeEvent = z.object({
  source: z.literal('aws.batch'),
  'detail-type': z.literal('Batch Job State Change'),
  detail: z.looseObject({ jobId: z.string(), status: z.string() }),
});

const METRIC_OF: Partial<Record<BatchOutcome, (typeof Metric)[keyof typeof Metric]>> = {
  running: Metric.JobStarted,
  failed: Metric.JobFailed,
  interrupted: Metric.SpotReclaimRetries,
};

export async function handler(
  event: EventBridgeEvent<'Batch Job State Change', BatchJobDetail>,
  context: Context,
): Promise<BatchOutcome | `eval_run_${EvalBatchOutcome}` | 'ignored_malformed'> {
  obs.begin(context);
  try {
    const parsed = BatchStateChangeEvent.safeParse(event);
    if (!parsed.success) {
      // Retrying cannot fix a malformed event: log it and let it go.
      obs.logger.warn('not a Batch job state change', { issues: parsed.error.issues, eventId: event?.id });
      return 'ignored_malformed';
    }
    const detail = parsed.data.detail as BatchJobDetail;
    // Eval runs share the queue (runner/entry/eval-run.ts); their executor writes their status.
    const evalRunId = evalRunIdOf(detail);
    if (evalRunId) {
      const outcome = await handleEvalBatchState(evalDeps, detail);
      obs.logger.info('batch state change', {
        batchJobId: detail.jobId,
        batchStatus: detail.status,
        evalRunId,
        outcome,
      });
      return `eval_run_${outcome}`;
    }
    return await withJobId(obs.logger, tuneplaneJobIdOf(detail), async () => {
      const outcome = await handleBatchStateChange(deps, {
        source: parsed.data.source,
        'detail-type': parsed.data['detail-type'],
        detail,
      });
      const metric = METRIC_OF[outcome];
      if (metric) obs.count(metric);
      obs.logger.info('batch state change', {
        batchJobId: detail.jobId,
        batchStatus: detail.status,
        outcome,
      });
      return outcome;
    });
  } catch (err) {
    obs.logger.error('batch state change failed', err as Error);
    throw err;
  } finally {
    obs.flush();
  }
}
