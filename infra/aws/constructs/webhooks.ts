/**
 * Webhook delivery: a sweeper function runs every minute and calls the delivery engine's
 * `processDue(now)`, which fans outbox entries out into deliveries and makes the attempts whose
 * time has come. The outbox and the deliveries (with their next-attempt time) are in DynamoDB.
 *
 * Why a scheduled sweeper and not SQS delays, Scheduler one-time schedules or Step Functions:
 *  - SQS delays cap at 15 minutes and the retry schedule waits hours between late attempts;
 *  - the engine already keeps each delivery's next-attempt time and leases attempts with
 *    conditional writes (docs/ARCHITECTURE.md, "Webhooks"), so the durable timer IS the table: a
 *    per-attempt schedule or state machine would be a second copy of that state to keep
 *    consistent, with its own costs;
 *  - a one-minute sweep bounds lateness to about a minute, costs ~43k small invocations a month
 *    (inside the Lambda free tier) and is safe to overlap: leases stop double sends.
 * A run that fails is not retried (the next tick does the same work); it lands in the DLQ so the
 * alarm shows it.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue';
import { TuneplaneFunction } from './lambda-function';
import type { Secrets } from './secrets';
import { storageWildcardSuppression, type Storage } from './storage';

export interface WebhooksProps {
  readonly storage: Storage;
  readonly secrets: Secrets;
  /** Sweep interval. Default 1 minute (EventBridge's finest rate). */
  readonly sweepEvery?: Duration;
}

export class Webhooks extends Construct {
  readonly deliveryFunction: TuneplaneFunction;
  readonly deadLetterQueue: sqs.Queue;
  readonly sweepRule: events.Rule;

  constructor(scope: Construct, id: string, props: WebhooksProps) {
    super(scope, id);
    const { storage, secrets } = props;
    this.deadLetterQueue = deadLetterQueue(this, 'Dlq');

    this.deliveryFunction = new TuneplaneFunction(this, 'Delivery', {
      handler: 'webhook-delivery',
      description: 'Tuneplane: delivers due webhooks from the outbox (processDue)',
      environment: {
        TUNEPLANE_TABLE: storage.table.tableName,
        TUNEPLANE_WEBHOOK_SECRET_ARN: secrets.webhookSigning.secretArn,
      },
      // Longer than one sweep interval is fine: attempts are leased, overlapping runs skip them.
      timeout: Duration.minutes(2),
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      retryAttempts: 0,
    });
    storage.grantTableReadWrite(this.deliveryFunction);
    secrets.grantReadWebhookSigning(this.deliveryFunction);

    this.sweepRule = new events.Rule(this, 'SweepSchedule', {
      description: 'Tuneplane: webhook delivery sweep',
      schedule: events.Schedule.rate(props.sweepEvery ?? Duration.minutes(1)),
    });
    this.sweepRule.addTarget(
      new targets.LambdaFunction(this.deliveryFunction, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 2,
        maxEventAge: Duration.minutes(2),
      }),
    );
    NagSuppressions.addResourceSuppressions(this.deliveryFunction, [storageWildcardSuppression], true);
  }
}
