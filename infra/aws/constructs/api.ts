/**
 * The public API: an HTTP API (API Gateway v2) whose every route goes to one Lambda running the
 * Hono app; routing, validation and authentication (API keys) happen in the app.
 */
import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration, HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { batchWildcardSuppression } from './events';
import type { Inference } from './inference';
import { TuneplaneFunction } from './lambda-function';
import type { Secrets } from './secrets';
import { storageWildcardSuppression, type Storage } from './storage';
import type { Training } from './training';

export interface ApiProps {
  readonly storage: Storage;
  readonly training: Training;
  readonly secrets: Secrets;
  /**
   * Serves POST /v1/chat/completions and /v1/completions. Through the HTTP API they are proxied to
   * its Function URL and answered whole (API Gateway cannot stream, and stops at 30 s); CloudFront
   * streams them (constructs/dashboard.ts).
   */
  readonly inference?: Inference;
  /** Steady requests per second across the API. Default 50. */
  readonly rateLimit?: number;
  /** Burst above the steady rate. Default 100. */
  readonly burstLimit?: number;
}

export class Api extends Construct {
  readonly handler: TuneplaneFunction;
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { storage, training, secrets } = props;

    this.handler = new TuneplaneFunction(this, 'Handler', {
      handler: 'api',
      description: 'Tuneplane: the HTTP API (Hono)',
      environment: {
        TUNEPLANE_TABLE: storage.table.tableName,
        TUNEPLANE_BUCKET: storage.bucket.bucketName,
        TUNEPLANE_BATCH_JOB_QUEUE: training.queue.jobQueueArn,
        TUNEPLANE_BATCH_JOB_DEFINITION: training.jobDefinition.jobDefinitionArn,
        TUNEPLANE_OPENAI_SECRET_ARN: secrets.openAi.secretArn,
        TUNEPLANE_WEBHOOK_SECRET_ARN: secrets.webhookSigning.secretArn,
      },
      // More memory is more CPU: cold starts and JSON-heavy responses are CPU-bound.
      memorySize: 1024,
      // API Gateway gives up after 30 s.
      timeout: Duration.seconds(29),
    });
    storage.grantTableReadWrite(this.handler);
    storage.grantObjects(this.handler, {
      read: ['files', 'uploads', 'checkpoints', 'models', 'results'],
      // results/: deleting a result file (DELETE /v1/files) deletes its object.
      write: ['files', 'uploads', 'checkpoints', 'models', 'results'],
    });
    // Starting, cancelling, pausing (terminate + checkpoint) and resuming Batch jobs.
    training.grantSubmit(this.handler);
    training.grantStop(this.handler);
    // Starting OpenAI jobs; sealing webhook endpoint secrets shown once at creation.
    secrets.grantReadOpenAi(this.handler);
    secrets.grantReadWebhookSigning(this.handler);

    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'Tuneplane API',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('Hono', this.handler, {
        payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    if (props.inference) {
      for (const path of ['/v1/chat/completions', '/v1/completions']) {
        this.httpApi.addRoutes({
          path,
          methods: [apigw.HttpMethod.POST],
          integration: new HttpUrlIntegration(`Proxy${path}`, `${props.inference.url.url}${path.slice(1)}`, {
            method: apigw.HttpMethod.POST,
          }),
        });
      }
    }
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 50, burstLimit: props.burstLimit ?? 100 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    NagSuppressions.addResourceSuppressions(
      this.handler,
      [storageWildcardSuppression, batchWildcardSuppression],
      true,
    );
    NagSuppressions.addResourceSuppressions(
      this.httpApi,
      [
        {
          id: 'AwsSolutions-APIG4',
          reason:
            'Authentication is the OpenAI-style bearer API key, checked by the app against hashed keys in the table ' +
            '(an API Gateway authorizer would add a second invocation per request for the same check).',
        },
      ],
      true,
    );
  }

  get url(): string {
    return this.stage.url;
  }
}
