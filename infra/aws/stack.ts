/** The Tuneplane stack: creates the constructs and wires them to each other, nothing else. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Alarms } from './constructs/alarms';
import { Api } from './constructs/api';
import { Dashboard } from './constructs/dashboard';
import { JobEvents } from './constructs/events';
import { Inference } from './constructs/inference';
import { Secrets } from './constructs/secrets';
import { Storage } from './constructs/storage';
import { Training } from './constructs/training';
import { Webhooks } from './constructs/webhooks';

export interface TuneplaneStackProps extends StackProps {
  /** E-mail address that receives alarm notifications (optional). */
  readonly alarmEmail?: string;
  /** Keep table and bucket on stack deletion (default true). */
  readonly retainData?: boolean;
  /** Upper bound of vCPUs per GPU compute environment (default 64). */
  readonly maxvCpus?: number;
}

export class TuneplaneStack extends Stack {
  readonly storage: Storage;
  readonly secrets: Secrets;
  readonly training: Training;
  readonly api: Api;
  readonly inference: Inference;
  readonly dashboard: Dashboard;
  readonly jobEvents: JobEvents;
  readonly webhooks: Webhooks;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: TuneplaneStackProps = {}) {
    super(scope, id, props);
    this.storage = new Storage(this, 'Storage', { retainData: props.retainData });
    this.secrets = new Secrets(this, 'Secrets');
    this.training = new Training(this, 'Training', { storage: this.storage, maxvCpus: props.maxvCpus });
    const deps = { storage: this.storage, training: this.training, secrets: this.secrets };
    this.inference = new Inference(this, 'Inference', { storage: this.storage });
    this.api = new Api(this, 'Api', { ...deps, inference: this.inference });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      api: this.api,
      inference: this.inference,
      uploads: this.storage.bucket,
    });
    this.jobEvents = new JobEvents(this, 'JobEvents', deps);
    this.webhooks = new Webhooks(this, 'Webhooks', { storage: this.storage, secrets: this.secrets });

    this.alarms = new Alarms(this, 'Alarms', { email: props.alarmEmail });
    this.alarms.serverErrors('Api5xx', this.api.httpApi);
    this.alarms.functionErrors('ApiErrors', this.api.handler);
    this.alarms.functionErrors('InferenceErrors', this.inference.handler);
    this.alarms.functionErrors('BatchEventsErrors', this.jobEvents.batchEventsFunction);
    this.alarms.functionErrors('ReconcilerErrors', this.jobEvents.reconcilerFunction);
    this.alarms.functionErrors('WebhookDeliveryErrors', this.webhooks.deliveryFunction);
    this.alarms.deadLetters('JobEventsDlq', this.jobEvents.deadLetterQueue);
    this.alarms.deadLetters('WebhooksDlq', this.webhooks.deadLetterQueue);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'DashboardUrl', {
      value: this.dashboard.url,
      description:
        'The dashboard (paste an API key) and the API under /v1, chat completions and completions streamed: ' +
        'the base URL for clients',
    });
    new CfnOutput(this, 'TableName', { value: this.storage.table.tableName });
    new CfnOutput(this, 'BucketName', { value: this.storage.bucket.bucketName });
    new CfnOutput(this, 'OpenAiSecretArn', { value: this.secrets.openAi.secretArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
  }
}
