/**
 * Every Tuneplane Lambda: Node 22 on arm64, bundled by esbuild with the shared options
 * (infra/aws/bundling.ts), its own log group with a retention, and no secret in its environment.
 */
import { Duration, type Size } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { lambdaCode, lambdaNodeOptions } from '../bundling';
import { handlerEntry } from '../paths';

export type HandlerName = Parameters<typeof handlerEntry>[0];

export interface TuneplaneFunctionProps {
  readonly handler: HandlerName;
  readonly description: string;
  /**
   * Names from docs/ARCHITECTURE.md, "Storage: table, bucket, environment"; the values are parsed by
   * the matching schema in functions/config.
   */
  readonly environment: Record<string, string>;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  /** /tmp; Lambda's default (512 MiB) unless given. */
  readonly ephemeralStorageSize?: Size;
  readonly onFailure?: lambda.IDestination;
  /** Retries of asynchronous invocations (EventBridge targets) before `onFailure`. */
  readonly retryAttempts?: number;
}

export class TuneplaneFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: TuneplaneFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH });
    super(scope, id, {
      code: lambdaCode(handlerEntry(props.handler)),
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      ephemeralStorageSize: props.ephemeralStorageSize,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { ...props.environment, NODE_OPTIONS: lambdaNodeOptions },
      onFailure: props.onFailure,
      retryAttempts: props.retryAttempts,
    });
    NagSuppressions.addResourceSuppressions(
      this,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs; it is the AWS-maintained minimum.',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          ],
        },
        {
          id: 'AwsSolutions-L1',
          reason:
            'Node.js 22 is the runtime the project targets and tests (the Lambdas and GPU image run it); ' +
            'moving to 24 is a deliberate upgrade, not a default.',
        },
      ],
      true,
    );
  }
}
