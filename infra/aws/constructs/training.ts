/**
 * Where training runs: a VPC without NAT gateways, two GPU compute environments (Spot first,
 * on-demand as the fallback) behind one job queue, and the runner's job definition built from
 * runner/Dockerfile.
 *
 * Why no NAT: a NAT gateway bills ~$33/month per AZ even when nothing trains. Batch instances sit
 * in public subnets with public IPs (no inbound rule opens them) and reach S3 and DynamoDB through
 * free gateway endpoints; ECR, CloudWatch Logs and the Batch/ECS control plane go over the internet
 * gateway, which costs nothing at rest.
 */
import { Duration, Size, Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { RUNNER_EXIT } from '../../../openapi/runner';
import { repoRoot } from '../paths';
import { storageWildcardSuppression, type Storage } from './storage';

export interface TrainingProps {
  readonly storage: Storage;
  /** Upper bound of each compute environment (a g5.xlarge has 4 vCPUs). Default 64. */
  readonly maxvCpus?: number;
  /** Longest a single attempt may run before Batch stops it. Default 24 h. */
  readonly attemptTimeout?: Duration;
  /** Attempts per job, Spot reclaims included. Default 5. */
  readonly attempts?: number;
}

/** The runner image's build context: only what the Dockerfile needs, so staging stays small and fast. */
const RUNNER_CONTEXT_EXCLUDE = [
  '*',
  '!runner',
  '!functions',
  '!openapi',
  '!package.json',
  '!package-lock.json',
  '!tsconfig.json',
  '**/node_modules',
  '**/build',
  'runner/**/*.test.ts',
  // The inference function's image (constructs/inference.ts) is built from the same folders.
  'runner/inference.Dockerfile',
];

export class Training extends Construct {
  readonly vpc: ec2.Vpc;
  readonly spot: batch.ManagedEc2EcsComputeEnvironment;
  readonly onDemand: batch.ManagedEc2EcsComputeEnvironment;
  readonly queue: batch.JobQueue;
  readonly jobDefinition: batch.EcsJobDefinition;
  readonly jobRole: iam.Role;

  constructor(scope: Construct, id: string, props: TrainingProps) {
    super(scope, id);
    const { storage } = props;
    const maxvCpus = props.maxvCpus ?? 64;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20 }],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
      flowLogs: {
        rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_MONTH }),
          ),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    // Outbound only: nothing ever connects to a training instance.
    const securityGroup = new ec2.SecurityGroup(this, 'InstanceSg', {
      vpc: this.vpc,
      description: 'Tuneplane GPU training instances: no inbound, all outbound',
      allowAllOutbound: true,
    });

    const computeEnvironment = (ceId: string, spot: boolean) =>
      new batch.ManagedEc2EcsComputeEnvironment(this, ceId, {
        vpc: this.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
        securityGroups: [securityGroup],
        spot,
        allocationStrategy: spot
          ? batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED
          : batch.AllocationStrategy.BEST_FIT_PROGRESSIVE,
        instanceClasses: [ec2.InstanceClass.G5, ec2.InstanceClass.G6],
        useOptimalInstanceClasses: false,
        // AL2023 rather than AL2: the AL2 ECS GPU AMI is past its end of support (2026-06-30).
        images: [{ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA }],
        minvCpus: 0,
        maxvCpus,
        updateToLatestImageVersion: true,
      });
    this.spot = computeEnvironment('SpotGpu', true);
    this.onDemand = computeEnvironment('OnDemandGpu', false);

    this.queue = new batch.JobQueue(this, 'Queue', {
      priority: 1,
      computeEnvironments: [
        { computeEnvironment: this.spot, order: 1 },
        { computeEnvironment: this.onDemand, order: 2 },
      ],
      // A job no compute environment can ever place (asks for more than maxvCpus or a GPU the
      // families lack) would otherwise sit RUNNABLE forever.
      jobStateTimeLimitActions: [
        {
          maxTime: Duration.minutes(30),
          reason: batch.JobStateTimeLimitActionsReason.COMPUTE_ENVIRONMENT_MAX_RESOURCE,
          action: batch.JobStateTimeLimitActionsAction.CANCEL,
        },
        {
          maxTime: Duration.minutes(30),
          reason: batch.JobStateTimeLimitActionsReason.JOB_RESOURCE_REQUIREMENT,
          action: batch.JobStateTimeLimitActionsAction.CANCEL,
        },
      ],
    });

    this.jobRole = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description:
        'Tuneplane runner container: reads the job and data, reports progress, writes checkpoints and models',
    });
    storage.grantTableReadWrite(this.jobRole);
    storage.grantObjects(this.jobRole, {
      // Training data: files uploaded directly (files/) or through presigned multipart uploads (uploads/).
      read: ['files', 'uploads', 'models', 'checkpoints'],
      write: ['checkpoints', 'models', 'results'],
    });

    const jobLogs = new logs.LogGroup(this, 'JobLogs', { retention: logs.RetentionDays.ONE_MONTH });
    this.jobDefinition = new batch.EcsJobDefinition(this, 'RunnerJob', {
      container: new batch.EcsEc2ContainerDefinition(this, 'RunnerContainer', {
        image: ecs.ContainerImage.fromAsset(repoRoot, {
          file: 'runner/Dockerfile',
          exclude: RUNNER_CONTEXT_EXCLUDE,
        }),
        gpu: 1,
        cpu: 4,
        // g5.xlarge / g6.xlarge have 16 GiB; ECS keeps some for the agent.
        memory: Size.gibibytes(14),
        jobRole: this.jobRole,
        logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'runner', logGroup: jobLogs }),
        environment: {
          TUNEPLANE_TABLE: storage.table.tableName,
          TUNEPLANE_BUCKET: storage.bucket.bucketName,
          // ECS on EC2 does not set the region for the SDK.
          AWS_REGION: Stack.of(this).region,
          // Read by the NVIDIA container runtime: which driver parts it mounts. compute and utility
          // for CUDA (tfjs-node-gpu); graphics for the Vulkan driver under the WebGPU backend (Dawn).
          // runner/Dockerfile sets the same default; stating it here keeps it in the job's definition.
          NVIDIA_DRIVER_CAPABILITIES: 'compute,utility,graphics',
        },
      }),
      retryAttempts: props.attempts ?? 5,
      retryStrategies: [
        // A Spot reclaim is not the job's fault: run it again (it resumes from its newest checkpoint).
        batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.SPOT_INSTANCE_RECLAIMED),
        // The runner's own "interrupted, safe to retry" (openapi/runner.ts).
        batch.RetryStrategy.of(
          batch.Action.RETRY,
          batch.Reason.custom({ onExitCode: String(RUNNER_EXIT.retryable) }),
        ),
        // Anything else is reported as is; the runner already records why in the job.
        batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom({ onReason: '*' })),
      ],
      timeout: props.attemptTimeout ?? Duration.hours(24),
    });

    NagSuppressions.addResourceSuppressions(this.jobRole, [storageWildcardSuppression], true);
    NagSuppressions.addResourceSuppressions(
      this.jobDefinition.container.executionRole,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'ecr:GetAuthorizationToken has no resource-level permissions; the image pull itself is limited to the ' +
            'CDK assets repository and logs to the job log group.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(
      this,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'AWS Batch and ECS need their AWS-maintained service policies: AWSBatchServiceRole for the compute ' +
            'environments, AmazonEC2ContainerServiceforEC2Role for the instances joining the ECS cluster.',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBatchServiceRole',
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role',
          ],
        },
      ],
      true,
    );
  }

  /** Submit jobs to our queue with our job definition (tags are set at submission). */
  grantSubmit(grantee: iam.IGrantable): void {
    const stack = Stack.of(this);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['batch:SubmitJob'],
      resourceArns: [this.queue.jobQueueArn, ...this.jobDefinitionArns()],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['batch:TagResource'],
      resourceArns: [stack.formatArn({ service: 'batch', resource: 'job', resourceName: '*' })],
      conditions: { StringEquals: { 'batch:CreateAction': 'SubmitJob' } },
    });
  }

  /** Cancel (not started) and terminate (running) jobs: the API's cancel and pause. */
  grantStop(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['batch:CancelJob', 'batch:TerminateJob'],
      resourceArns: [Stack.of(this).formatArn({ service: 'batch', resource: 'job', resourceName: '*' })],
    });
  }

  /** DescribeJobs / ListJobs have no resource-level permissions in IAM. */
  grantDescribe(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['batch:DescribeJobs', 'batch:ListJobs'],
      resourceArns: ['*'],
    });
  }

  /** Job definition ARNs end in `:<revision>`; a submit may name ours with or without a revision. */
  private jobDefinitionArns(): string[] {
    const name = this.jobDefinition.jobDefinitionName;
    const arn = (resourceName: string) =>
      Stack.of(this).formatArn({ service: 'batch', resource: 'job-definition', resourceName });
    return [arn(name), arn(`${name}:*`)];
  }
}
