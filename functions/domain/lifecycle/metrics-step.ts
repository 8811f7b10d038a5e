import type { JobEventRecord } from '../records';

/**
 * The step a metrics event reports, when it is one: the key its store indexes it by for the
 * metrics columns (`GET …/metrics`). Message events, and metrics without a whole step, have none.
 */
export function metricsStep(event: Pick<JobEventRecord, 'type' | 'data'>): number | undefined {
  const step = event.type === 'metrics' ? event.data?.step : undefined;
  return typeof step === 'number' && Number.isInteger(step) && step >= 0 ? step : undefined;
}
