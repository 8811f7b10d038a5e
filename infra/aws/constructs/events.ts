/**
 * Job state that arrives from outside the API: AWS Batch "Job State Change" events for our queue
 * go to the batch-events function, and the reconciler runs on a schedule to repair what events
 * missed (lost events, follow-up writes interrupted by a crash, OpenAI jobs without webhooks).
 * Both are invoked asynchronously by EventBridge; what fails all retries lands in the DLQ.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { TuneplaneFunction } from './lambda-function';
import type { Secrets } from './secrets';
import { storageWildcardSuppression, type Storage } from './storage';
import type { Training } from './training';
import { deadLetterQueue } from './dead-letter-queue';

export interface JobEventsProps {
  readonly storage: Storage;
  readonly training: Training;
  readonly secrets: Secrets;
  /** How often the reconciler runs (it also advances sweeps). Default 1 minute. */
  readonly reconcileEvery?: Duration;
}

export class JobEvents extends Construct {
  readonly batchEventsFunction: TuneplaneFunction;
  readonly reconcilerFunction: TuneplaneFunction;
  readonly deadLetterQueue: sqs.Queue;
  readonly batchStateRule: events.Rule;
  readonly reconcileRule: events.Rule;

  constructor(scope: Construct, id: string, props: JobEventsProps) {
    super(scope, id);
    const { storage, training, secrets } = props;
    this.deadLetterQueue = deadLetterQueue(this, 'Dlq');
    const onFailure = new destinations.SqsDestination(this.deadLetterQueue);

    this.batchEventsFunction = new TuneplaneFunction(this, 'BatchEvents', {
      handler: 'batch-events',
      description: 'Tuneplane: applies AWS Batch job state changes to jobs',
      environment: { TUNEPLANE_TABLE: storage.table.tableName },
      onFailure,
      retryAttempts: 2,
    });
    // The event carries the Batch job's status and reason: the handler needs the table only.
    storage.grantTableReadWrite(this.batchEventsFunction);

    this.batchStateRule = new events.Rule(this, 'BatchJobStateChange', {
      description: 'Tuneplane: Batch job state changes of our queue',
      eventPattern: {
        source: ['aws.batch'],
        detailType: ['Batch Job State Change'],
        detail: { jobQueue: [training.queue.jobQueueArn] },
      },
    });
    this.batchStateRule.addTarget(
      new targets.LambdaFunction(this.batchEventsFunction, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(6),
      }),
    );

    this.reconcilerFunction = new TuneplaneFunction(this, 'Reconciler', {
      handler: 'reconciler',
      description: 'Tuneplane: repairs job state that events missed',
      environment: {
        TUNEPLANE_TABLE: storage.table.tableName,
        TUNEPLANE_BUCKET: storage.bucket.bucketName,
        TUNEPLANE_BATCH_JOB_QUEUE: training.queue.jobQueueArn,
        TUNEPLANE_BATCH_JOB_DEFINITION: training.jobDefinition.jobDefinitionArn,
        TUNEPLANE_OPENAI_SECRET_ARN: secrets.openAi.secretArn,
      },
      timeout: Duration.minutes(2),
      onFailure,
      // The next scheduled run does the same work; retrying a failed run only overlaps it.
      retryAttempts: 0,
    });
    storage.grantTableReadWrite(this.reconcilerFunction);
    // Re-submits queued jobs whose submission was lost (an OpenAI submit uploads the job's files),
    // asks Batch/OpenAI where jobs really are, and drives sweeps: it starts trials (reading the
    // base model's config.json) and stops the trials the scheduler prunes.
    storage.grantObjects(this.reconcilerFunction, { read: ['files', 'uploads', 'models'] });
    training.grantSubmit(this.reconcilerFunction);
    training.grantStop(this.reconcilerFunction);
    training.grantDescribe(this.reconcilerFunction);
    secrets.grantReadOpenAi(this.reconcilerFunction);

    this.reconcileRule = new events.Rule(this, 'ReconcileSchedule', {
      description: 'Tuneplane: reconciler schedule',
      schedule: events.Schedule.rate(props.reconcileEvery ?? Duration.minutes(1)),
    });
    this.reconcileRule.addTarget(
      new targets.LambdaFunction(this.reconcilerFunction, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 2,
        maxEventAge: Duration.minutes(5),
      }),
    );

    for (const fn of [this.batchEventsFunction, this.reconcilerFunction]) {
      NagSuppressions.addResourceSuppressions(
        fn,
        [storageWildcardSuppression, batchWildcardSuppression],
        true,
      );
    }
  }
}

/** IAM5 findings of the Batch grants, and why they are fine. */
export const batchWildcardSuppression = {
  id: 'AwsSolutions-IAM5',
  reason:
    'Batch job ARNs hold ids Batch mints at submission, so job-level actions (tag at submit, cancel, terminate) ' +
    'name job/*; our job definition is named with any revision (:*); DescribeJobs/ListJobs support no ' +
    'resource-level permissions.',
  appliesTo: [
    // The region is a token in an environment-agnostic stack and concrete when `cdk` supplies one.
    { regex: '/^Resource::arn:<AWS::Partition>:batch:[^:]+:<AWS::AccountId>:job\\/\\*$/' },
    { regex: '/^Resource::arn:<AWS::Partition>:batch:[^:]+:<AWS::AccountId>:job-definition\\/.*:\\*$/' },
    'Resource::*',
  ],
};
