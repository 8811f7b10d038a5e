/**
 * What pages the operator: messages in a dead-letter queue, Lambda errors, API 5xx. All alarms
 * notify one SNS topic; subscribe an e-mail address with the `alarmEmail` context value.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface AlarmsProps {
  readonly email?: string;
}

export class Alarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: AlarmsProps = {}) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'Tuneplane alarms', enforceSSL: true });
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    this.action = new actions.SnsAction(this.topic);
    NagSuppressions.addResourceSuppressions(this.topic, [
      {
        id: 'AwsSolutions-SNS2',
        reason:
          'Alarm notifications carry alarm names and states only; CloudWatch cannot publish to a topic encrypted ' +
          'with the AWS-managed key, and a customer-managed key would cost $1/month at rest.',
      },
    ]);
  }

  /** Any message in the queue means something failed every retry. */
  deadLetters(id: string, queue: sqs.IQueue): void {
    this.add(
      id,
      queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      1,
      'messages waiting in a dead-letter queue',
    );
  }

  functionErrors(id: string, fn: lambda.IFunction): void {
    this.add(
      id,
      fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      1,
      'Lambda invocation errors',
    );
  }

  serverErrors(id: string, api: apigw.HttpApi): void {
    this.add(
      id,
      api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      5,
      'API 5xx responses',
    );
  }

  private add(id: string, metric: cloudwatch.IMetric, threshold: number, what: string): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `Tuneplane: ${what} (>= ${threshold} in 5 minutes)`,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
  }
}
