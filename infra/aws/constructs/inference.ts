/**
 * Chat completions and completions on AWS: one Lambda (runner/entry/inference-lambda.ts: the API's
 * Hono app with the generation engine in-process) behind a Function URL in response-streaming mode,
 * so tokens reach the client as they are decoded. API Gateway's HTTP API cannot stream, and gives
 * up after 30 s; CloudFront routes the two paths to the Function URL instead (constructs/dashboard.ts),
 * so the public base URL stays the distribution's.
 *
 * The function is a container image (runner/inference.Dockerfile, built by `cdk deploy` like the
 * Batch runner's): the bundle plus runner/native's OpenBLAS kernels, which a zip cannot carry (a
 * native build against the system's OpenBLAS), run by the Lambda Runtime Interface Client.
 *
 * x86_64, unlike the zip functions (arm64): this is the architecture the addon and Debian's OpenBLAS
 * build are tested on, here and in CI, binary for binary (the same amd64 packages, the same compiler
 * output, its AVX2 / AVX-512 paths chosen at run time by target_clones, which Lambda's x86 CPUs
 * have). On arm64 the addon's C would run a code path no test has run, and an x86 deploying
 * machine would have to build the image under QEMU. Graviton is about 20 % cheaper per GB-second:
 * worth switching to once `npm run bench:inference-lambda` and the tests have run on an arm64 host.
 *
 * Sizing (README, "Serving"): Lambda gives CPU in proportion to memory (one vCPU at 1,769 MB); the
 * native kernels use as many threads as that share (inference-lambda.ts). At the default 4,096 MB:
 * two threads, up to 1 GiB of weights loaded (float32 in memory, plus the file while it is parsed
 * and tfjs's copies), 256 MiB of KV cache per request, the rest for the runtime. /tmp keeps up to
 * 3 GiB of model files between invocations.
 */
import { Duration, Size } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { lambdaNodeOptions } from '../bundling';
import { repoRoot } from '../paths';
import { storageWildcardSuppression, type Storage } from './storage';

/** The image's build context: what runner/inference.Dockerfile copies, so unrelated changes (and
 * node_modules, cdk.out, .git, native builds) neither enter the asset hash nor the upload. */
export const INFERENCE_CONTEXT_EXCLUDE = [
  '*',
  '!runner',
  '!functions',
  '!openapi',
  '!infra',
  'infra/*',
  '!infra/aws',
  '!package.json',
  '!package-lock.json',
  '!tsconfig.json',
  '**/node_modules',
  '**/build',
  'runner/**/*.test.ts',
  'runner/Dockerfile',
];

export interface InferenceProps {
  readonly storage: Storage;
  /** Memory of the function in MB (CPU grows with it). Default 4096. */
  readonly memoryMiB?: number;
  /** Bytes of weights kept loaded. Default 1 GiB. */
  readonly modelBudgetBytes?: number;
  /** Bytes of KV cache one request may use. Default 256 MiB. */
  readonly requestBudgetBytes?: number;
  /** Ephemeral storage (/tmp) in MiB. Default 4096; the model files may fill all but 1 GiB of it. */
  readonly ephemeralMiB?: number;
}

const MiB = 2 ** 20;

export class Inference extends Construct {
  readonly handler: lambda.DockerImageFunction;
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: InferenceProps) {
    super(scope, id);
    const { storage } = props;
    const ephemeralMiB = props.ephemeralMiB ?? 4096;
    const logGroup = new logs.LogGroup(this, 'HandlerLogs', { retention: logs.RetentionDays.ONE_MONTH });
    this.handler = new lambda.DockerImageFunction(this, 'Handler', {
      code: lambda.DockerImageCode.fromImageAsset(repoRoot, {
        file: 'runner/inference.Dockerfile',
        platform: Platform.LINUX_AMD64,
        exclude: INFERENCE_CONTEXT_EXCLUDE,
      }),
      architecture: lambda.Architecture.X86_64,
      description:
        'Tuneplane: chat completions and completions (streaming, models from S3, OpenBLAS kernels)',
      environment: {
        TUNEPLANE_TABLE: storage.table.tableName,
        TUNEPLANE_BUCKET: storage.bucket.bucketName,
        TUNEPLANE_INFERENCE_MODEL_BUDGET: String(props.modelBudgetBytes ?? 1024 * MiB),
        TUNEPLANE_INFERENCE_REQUEST_BUDGET: String(props.requestBudgetBytes ?? 256 * MiB),
        // 1 GiB of /tmp stays free for the runtime and a file being written.
        TUNEPLANE_INFERENCE_DISK_BUDGET: String(Math.max(ephemeralMiB - 1024, 512) * MiB),
        NODE_OPTIONS: lambdaNodeOptions,
      },
      memorySize: props.memoryMiB ?? 4096,
      ephemeralStorageSize: Size.mebibytes(ephemeralMiB),
      // A streamed response may last up to 15 minutes; 10 bounds a runaway generation's cost.
      // A request asks for at most the model's context, so a small model ends far sooner.
      timeout: Duration.minutes(10),
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
    });
    // API keys and model records (reads); Idempotency-Key records (writes).
    storage.grantTableReadWrite(this.handler);
    // Weights and tokenizers only: models/ (base and fine-tuned) and checkpoints/ (served by name).
    storage.grantObjects(this.handler, { read: ['models', 'checkpoints'] });

    this.url = this.handler.addFunctionUrl({
      // The app authenticates every request with the API key, as the HTTP API's does. IAM auth
      // (CloudFront origin access control) would need clients to sign each request body's hash,
      // which no OpenAI client does.
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
    });

    NagSuppressions.addResourceSuppressions(
      this.handler,
      [
        storageWildcardSuppression,
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs; it is the AWS-maintained minimum.',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          ],
        },
      ],
      true,
    );
  }
}
