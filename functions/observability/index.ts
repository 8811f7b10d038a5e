/**
 * Structured JSON logs and CloudWatch metrics for the Lambdas, with Powertools for AWS Lambda:
 * logs carry the Lambda request id (and a job id where there is one); metrics are written as
 * CloudWatch Embedded Metric Format lines, so they need no PutMetricData call or permission.
 *
 * The domain does not import this: handlers adapt these to the small logging shapes the app and
 * the engines take (`appLogger`, `engineLog`).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';

export const METRICS_NAMESPACE = 'Tuneplane';

/** Every metric we emit, by name (CloudWatch metric names). */
export const Metric = {
  JobStarted: 'JobStarted',
  JobSucceeded: 'JobSucceeded',
  JobFailed: 'JobFailed',
  SpotReclaimRetries: 'SpotReclaimRetries',
  WebhookAttempts: 'WebhookAttempts',
  WebhookDelivered: 'WebhookDelivered',
  WebhookDeliveriesCreated: 'WebhookDeliveriesCreated',
  JobsReconciled: 'JobsReconciled',
} as const;
export type MetricName = (typeof Metric)[keyof typeof Metric];

export interface Observability {
  logger: Logger;
  /** Count something in this invocation; published by `flush`. */
  count(name: MetricName, value?: number): void;
  /** Called at the start of each invocation: request id, function name, cold start on every log line. */
  begin(context: Pick<Context, 'awsRequestId' | 'functionName'> & Partial<Context>): void;
  /** Called at the end of each invocation (also when it throws). */
  flush(): void;
}

export function createObservability(service: string): Observability {
  const logger = new Logger({ serviceName: service });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
  return {
    logger,
    count(name, value = 1) {
      metrics.addMetric(name, MetricUnit.Count, value);
    },
    begin(context) {
      logger.resetKeys();
      logger.addContext(context as Context);
    },
    flush() {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}

/** The app's logger shape (functions/api/deps.ts `AppLogger`). */
export function appLogger(logger: Logger) {
  return {
    error: (message: string, detail?: Record<string, unknown>) => logger.error(message, { ...detail }),
    warn: (message: string, detail?: Record<string, unknown>) => logger.warn(message, { ...detail }),
    info: (message: string, detail?: Record<string, unknown>) => logger.info(message, { ...detail }),
  };
}

/** The engines' log callback shape (`(level, message, data)`); a `jobId` in data becomes a top-level key. */
export function engineLog(logger: Logger) {
  return (level: 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>) => {
    logger[level](message, { ...data });
  };
}

/** Runs `fn` with `jobId` on every log line it writes. */
export async function withJobId<T>(
  logger: Logger,
  jobId: string | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  if (!jobId) return fn();
  logger.appendKeys({ jobId });
  try {
    return await fn();
  } finally {
    logger.removeKeys(['jobId']);
  }
}
