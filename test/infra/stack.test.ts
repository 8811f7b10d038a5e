/**
 * The AWS stack, as CloudFormation will receive it: every resource the deployment needs with its
 * key properties, least-privilege IAM, Lambda environments that the functions' own config
 * schemas accept, and cdk-nag's AwsSolutions checks with no unexplained finding.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { LAMBDA_ENV_SCHEMAS } from '../../functions/config';
import { repoRoot } from '../../infra/aws/paths';
import { RUNNER_EXIT } from '../../openapi/runner';
import {
  actionsOf,
  resolveIntrinsic,
  runtimeEnvironment,
  statementsOfRole,
  synthesize,
  type Synthesized,
} from './synth';

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
}, 600_000);
afterAll(() => s?.cleanup());

// A template's properties are free-form CloudFormation JSON; the assertions index into them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Resources = Record<
  string,
  { Type: string; Properties: Record<string, Json>; Metadata?: Record<string, Json> }
>;
const resources = (): Resources => s.template.toJSON().Resources;
const ofType = (type: string) => Object.entries(resources()).filter(([, r]) => r.Type === type);
const roleOf = (fnLogicalId: string): string => resources()[fnLogicalId].Properties.Role['Fn::GetAtt'][0];

describe('storage', () => {
  it('is one on-demand table with pk/sk, gsi1/gsi2 (projection ALL), TTL on expiresAt and point-in-time recovery', () => {
    s.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    s.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        GlobalSecondaryIndexes: [1, 2].map((n) => ({
          IndexName: `gsi${n}`,
          KeySchema: [
            { AttributeName: `gsi${n}pk`, KeyType: 'HASH' },
            { AttributeName: `gsi${n}sk`, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      },
    });
  });

  it('is one encrypted, private, TLS-only bucket that aborts stale multipart uploads and lets browsers PUT parts and read ETag', () => {
    // The data bucket, plus the dashboard's site and access-log buckets (test/infra/dashboard.test.ts).
    s.template.resourceCountIs('AWS::S3::Bucket', 3);
    const buckets = Object.values(s.template.findResources('AWS::S3::Bucket'));
    expect(buckets.filter((b) => b.Properties.CorsConfiguration)).toHaveLength(1);
    for (const b of buckets) {
      expect(b.Properties.BucketEncryption).toBeDefined();
      expect(b.Properties.PublicAccessBlockConfiguration.RestrictPublicBuckets).toBe(true);
    }
    s.template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 },
              Status: 'Enabled',
            }),
          ]),
        },
        CorsConfiguration: {
          CorsRules: [Match.objectLike({ AllowedMethods: ['PUT'], ExposedHeaders: ['ETag'] })],
        },
      },
    });
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Principal: { AWS: '*' },
          }),
        ]),
      },
    });
  });
});

describe('API', () => {
  it('is an HTTP API whose default route goes to the API Lambda with payload 2.0', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [s.functions.api, 'Arn'] },
    });
  });

  it('throttles the default stage and writes JSON access logs with the request id', () => {
    const [[, stage]] = ofType('AWS::ApiGatewayV2::Stage');
    expect(stage.Properties.StageName).toBe('$default');
    expect(stage.Properties.AutoDeploy).toBe(true);
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: 50,
      ThrottlingBurstLimit: 100,
    });
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(stage.Properties.AccessLogSettings.DestinationArn).toBeDefined();
  });

  it('runs on Node.js 22 (arm64) from an esbuild bundle: ESM, minified, source maps, SDK included, zod locales left out', () => {
    const fn = resources()[s.functions.api].Properties;
    expect(fn).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
    });
    expect(fn.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    const assetDir = join(s.outdir, `asset.${fn.Code.S3Key.replace(/\.zip$/, '')}`);
    const files = readdirSync(assetDir, { recursive: true, encoding: 'utf8' });
    const modules = files.filter((f) => f.endsWith('.mjs'));
    for (const f of modules) expect(files, f).toContain(`${f}.map`);
    const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(code).toMatch(/^import\s*\{/); // ESM (the createRequire banner comes first)
    expect(code.length / code.split('\n').length).toBeGreaterThan(500); // minified: unminified code averages ~40 chars a line
    const all = modules.map((f) => readFileSync(join(assetDir, f), 'utf8')).join('\n');
    // Every import is relative (a chunk) or a Node built-in: nothing is left to the runtime's node_modules.
    const imported = [
      ...all.matchAll(/(?:^|[;}])\s*import\s*(?:[\w$*{}\s,]+from\s*)?["']([^"']+)["']/gm),
      ...all.matchAll(/\bimport\(["']([^"']+)["']\)/g),
    ].map((m) => m[1]);
    expect(imported).toContain('node:module'); // the matcher does find imports
    expect(
      imported.filter((i) => !i.startsWith('./') && !i.startsWith('../') && !i.startsWith('node:')),
    ).toEqual([]);
    expect(all).not.toContain('Ungültige Eingabe'); // zod's German locale
    expect(statSync(join(assetDir, 'index.mjs')).size).toBeLessThan(1024 * 1024);
  });
});

describe('Lambda code', () => {
  it('gives each zip function its own bundle, built from its own handler', () => {
    const marker: Record<Exclude<keyof Synthesized['functions'], 'inference'>, string> = {
      api: 'Unknown request URL',
      'batch-events': 'batch state change',
      reconciler: 'reconciled',
      'webhook-delivery': 'webhook sweep',
    };
    const keys = new Set<string>();
    for (const [name, marked] of Object.entries(marker)) {
      const id = s.functions[name as keyof typeof marker];
      const key = resources()[id].Properties.Code.S3Key.replace(/\.zip$/, '');
      keys.add(key);
      const code = readFileSync(join(s.outdir, `asset.${key}`, 'index.mjs'), 'utf8');
      expect(code, name).toContain(marked);
    }
    expect(keys.size).toBe(4);
  });
});

describe('inference', () => {
  const fn = () => resources()[s.functions.inference].Properties;

  it('is a container image on x86_64 (the tested architecture) sized for generation: 4 GB, 10 minutes, 4 GiB of /tmp, budgets inside them', () => {
    expect(fn()).toMatchObject({
      PackageType: 'Image',
      Architectures: ['x86_64'],
      MemorySize: 4096,
      Timeout: 600,
      EphemeralStorage: { Size: 4096 },
      LoggingConfig: { LogFormat: 'JSON' },
    });
    // The image's CMD names the handler; a zip function's properties would be ignored or refused.
    expect(fn().Runtime).toBeUndefined();
    expect(fn().Handler).toBeUndefined();
    const env = runtimeEnvironment(s.template, s.functions.inference);
    const MiB = 2 ** 20;
    expect(Number(env.TUNEPLANE_INFERENCE_MODEL_BUDGET)).toBe(1024 * MiB);
    expect(Number(env.TUNEPLANE_INFERENCE_REQUEST_BUDGET)).toBe(256 * MiB);
    // Weights and one request's cache fit in memory with room for the runtime and parsing.
    expect(
      Number(env.TUNEPLANE_INFERENCE_MODEL_BUDGET) * 2 + Number(env.TUNEPLANE_INFERENCE_REQUEST_BUDGET),
    ).toBeLessThan(fn().MemorySize * MiB);
    expect(Number(env.TUNEPLANE_INFERENCE_DISK_BUDGET)).toBeLessThan(fn().EphemeralStorage.Size * MiB);
  });

  it('is built from runner/inference.Dockerfile for linux/amd64, from a context without node_modules, cdk.out, .git or tests', () => {
    const assets = JSON.parse(readFileSync(join(s.outdir, 'TuneplaneTest.assets.json'), 'utf8'));
    const [hash, image] = Object.entries(
      assets.dockerImages as Record<
        string,
        { source: { directory: string; dockerFile: string; platform?: string } }
      >,
    ).find(([, i]) => i.source.dockerFile === 'runner/inference.Dockerfile')!;
    expect(image.source.platform).toBe('linux/amd64');
    expect(JSON.stringify(fn().Code.ImageUri)).toContain(hash);
    const context = join(s.outdir, image.source.directory);
    for (const needed of [
      'runner/inference.Dockerfile',
      'runner/entry/inference-lambda.ts',
      'runner/native/binding.gyp',
      'infra/aws/inference-image.ts',
      'package-lock.json',
      'tsconfig.json',
    ])
      expect(existsSync(join(context, needed)), needed).toBe(true);
    for (const left of [
      'node_modules',
      'cdk.out',
      '.git',
      'test',
      'dashboard',
      'infra/local',
      'runner/native/build',
    ])
      expect(existsSync(join(context, left)), left).toBe(false);
  });

  it('has a Function URL that streams its responses (RESPONSE_STREAM); the app checks the API key', () => {
    s.template.resourceCountIs('AWS::Lambda::Url', 1);
    s.template.hasResourceProperties('AWS::Lambda::Url', {
      TargetFunctionArn: { 'Fn::GetAtt': [s.functions.inference, 'Arn'] },
      InvokeMode: 'RESPONSE_STREAM',
      AuthType: 'NONE',
    });
    // Anyone may call the URL (the key is checked inside); nobody may invoke the function otherwise.
    const grants = ofType('AWS::Lambda::Permission')
      .map(([, p]) => p.Properties)
      .filter((p) => JSON.stringify(p.FunctionName).includes(s.functions.inference));
    expect(grants).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'lambda:InvokeFunctionUrl',
          FunctionUrlAuthType: 'NONE',
          Principal: '*',
        }),
        expect.objectContaining({
          Action: 'lambda:InvokeFunction',
          InvokedViaFunctionUrl: true,
          Principal: '*',
        }),
      ]),
    );
    expect(
      grants.filter((p) => p.Principal === '*' && !p.FunctionUrlAuthType && !p.InvokedViaFunctionUrl),
    ).toEqual([]);
  });

  it('reads weights under models/ and checkpoints/ only, and writes nothing to the bucket', () => {
    const st = statementsOfRole(s.template, roleOf(s.functions.inference));
    const s3 = st.filter((x) => actionsOf([x]).some((a) => a.startsWith('s3:')));
    expect(actionsOf(s3).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    const get = JSON.stringify(
      s3.filter((x) => actionsOf([x]).includes('s3:GetObject')).map((x) => x.Resource),
    );
    expect(get.match(/\/[a-z]+\/\*/g)?.sort()).toEqual(['/checkpoints/*', '/models/*']);
    const list = s3.find((x) => actionsOf([x]).includes('s3:ListBucket'))!;
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['models/*', 'checkpoints/*'] } });
    expect(actionsOf(st).some((a) => a.startsWith('batch:') || a.startsWith('secretsmanager:'))).toBe(false);
  });

  it('is reached through the HTTP API too: POST routes for both paths proxied to the Function URL', () => {
    const url = s.logicalId(s.stack.inference.url);
    for (const path of ['/v1/chat/completions', '/v1/completions']) {
      s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `POST ${path}` });
      s.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'HTTP_PROXY',
        IntegrationMethod: 'POST',
        IntegrationUri: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [url, 'FunctionUrl'] }, path.slice(1)]] },
      });
    }
  });
});

describe('training', () => {
  it('has a VPC without NAT gateways, with free gateway endpoints for S3 and DynamoDB', () => {
    s.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    s.template.resourceCountIs('AWS::EC2::VPCEndpoint', 2);
    const services = ofType('AWS::EC2::VPCEndpoint').map(([, r]) => JSON.stringify(r.Properties.ServiceName));
    expect(services.some((x) => x.includes('.s3'))).toBe(true);
    expect(services.some((x) => x.includes('.dynamodb'))).toBe(true);
    for (const [, r] of ofType('AWS::EC2::VPCEndpoint')) expect(r.Properties.VpcEndpointType).toBe('Gateway');
  });

  it('has a Spot and an on-demand GPU compute environment (g5/g6, ECS NVIDIA AMI, scaling to zero)', () => {
    const ces = ofType('AWS::Batch::ComputeEnvironment').map(([id, r]) => ({
      id,
      ...r.Properties.ComputeResources,
    }));
    expect(ces).toHaveLength(2);
    expect(ces.map((c) => c.Type).sort()).toEqual(['EC2', 'SPOT']);
    for (const ce of ces) {
      expect(ce.InstanceTypes.sort()).toEqual(['g5', 'g6']);
      expect(ce.MinvCpus).toBe(0);
      expect(ce.Ec2Configuration).toEqual([{ ImageType: 'ECS_AL2023_NVIDIA' }]);
    }
    expect(ces.find((c) => c.Type === 'SPOT')!.AllocationStrategy).toBe('SPOT_PRICE_CAPACITY_OPTIMIZED');
  });

  it('queues jobs on Spot first and falls back to on-demand', () => {
    const spot = s.logicalId(s.stack.training.spot);
    const onDemand = s.logicalId(s.stack.training.onDemand);
    s.template.hasResourceProperties('AWS::Batch::JobQueue', {
      ComputeEnvironmentOrder: [
        { ComputeEnvironment: { 'Fn::GetAtt': [spot, 'ComputeEnvironmentArn'] }, Order: 1 },
        { ComputeEnvironment: { 'Fn::GetAtt': [onDemand, 'ComputeEnvironmentArn'] }, Order: 2 },
      ],
    });
  });

  it('runs the runner image (built from runner/Dockerfile) on one GPU, retrying Spot reclaims and the runner retryable exit code only, with a timeout', () => {
    const [[, def]] = ofType('AWS::Batch::JobDefinition');
    const p = def.Properties;
    expect(p.Type).toBe('container');
    expect(p.ContainerProperties.ResourceRequirements).toEqual(
      expect.arrayContaining([{ Type: 'GPU', Value: '1' }]),
    );
    expect(p.RetryStrategy).toEqual({
      Attempts: 5,
      EvaluateOnExit: [
        { Action: 'RETRY', OnStatusReason: 'Host EC2*' },
        { Action: 'RETRY', OnExitCode: String(RUNNER_EXIT.retryable) },
        { Action: 'EXIT', OnReason: '*' },
      ],
    });
    expect(p.Timeout).toEqual({ AttemptDurationSeconds: 24 * 3600 });
    expect(JSON.stringify(p.ContainerProperties.Image)).toContain('container-assets');
    const assets = JSON.parse(readFileSync(join(s.outdir, 'TuneplaneTest.assets.json'), 'utf8'));
    const images = Object.values(assets.dockerImages) as {
      source: { directory: string; dockerFile: string };
    }[];
    expect(images.map((i) => i.source.dockerFile).sort()).toEqual([
      'runner/Dockerfile',
      'runner/inference.Dockerfile',
    ]);
    const runner = images.find((i) => i.source.dockerFile === 'runner/Dockerfile')!;
    // The staged build context holds what the image needs, not the whole repository.
    const context = join(s.outdir, runner.source.directory);
    expect(existsSync(join(context, 'runner', 'Dockerfile'))).toBe(true);
    expect(existsSync(join(context, 'package-lock.json'))).toBe(true);
    expect(existsSync(join(context, 'node_modules'))).toBe(false);
    expect(existsSync(join(context, 'test'))).toBe(false);
  });

  it('asks the NVIDIA runtime for the Vulkan driver (graphics) besides CUDA, for the WebGPU backend', () => {
    const [[, def]] = ofType('AWS::Batch::JobDefinition');
    const env = Object.fromEntries(
      (def.Properties.ContainerProperties.Environment as { Name: string; Value: string }[]).map((e) => [
        e.Name,
        e.Value,
      ]),
    );
    expect(env.NVIDIA_DRIVER_CAPABILITIES.split(',').sort()).toEqual(['compute', 'graphics', 'utility']);
  });
});

describe('runner image (runner/Dockerfile; no Docker engine here, so read, not built)', () => {
  const dockerfile = readFileSync(join(repoRoot, 'runner/Dockerfile'), 'utf8');

  it('is based on Ubuntu 22.04 or later: Dawn’s binding needs glibc 2.34 and GCC 12’s libstdc++', () => {
    const base = /^ARG CUDA_IMAGE=nvidia\/cuda:11\.[0-9.]+-cudnn8-runtime-ubuntu(\d+)\.(\d+)$/m.exec(
      dockerfile,
    );
    expect(base, 'a CUDA 11 / cuDNN 8 runtime image (libtensorflow 2.9)').not.toBeNull();
    expect(Number(base![1])).toBeGreaterThanOrEqual(22);
  });

  it('carries the Vulkan loader, the NVIDIA ICD manifest and the graphics capability', () => {
    expect(dockerfile).toMatch(/apt-get install -y --no-install-recommends [^\n]*\blibvulkan1\b/);
    expect(dockerfile).toContain('/etc/vulkan/icd.d/nvidia_icd.json');
    expect(dockerfile).toContain('"library_path":"libGLX_nvidia.so.0"');
    expect(dockerfile).toMatch(/^ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics$/m);
    // tfjs-node-gpu stays; Dawn's binding is checked to load at build time.
    expect(dockerfile).toContain('@tensorflow/tfjs-node-gpu@${TFJS_VERSION}');
    expect(dockerfile).toContain(`import('webgpu')`);
  });

  it('builds the eval runs entry beside the trainer; the trainer stays the default command', () => {
    // functions/adapters/batch submits eval runs with the command dist/eval-run.mjs.
    expect(dockerfile).toMatch(
      /esbuild runner\/entry\/eval-run\.ts [^\n]*\n?[^\n]*--outfile=dist\/eval-run\.mjs/,
    );
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "--enable-source-maps"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["dist\/job\.mjs"\]$/m);
  });
});

describe('inference image (runner/inference.Dockerfile; read, not built: no Docker engine here)', () => {
  const dockerfile = readFileSync(join(repoRoot, 'runner/inference.Dockerfile'), 'utf8');

  it('builds and runs on Debian bookworm’s Node 22 (the OpenBLAS the tests use), compiled for no particular CPU', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-bookworm-slim$/m);
    expect(dockerfile.match(/^FROM \$\{NODE_IMAGE\} AS \w+$/gm)).toHaveLength(2);
    expect(dockerfile).not.toMatch(/-march=native|-mtune=native/);
    expect(readFileSync(join(repoRoot, 'runner/native/binding.gyp'), 'utf8')).not.toMatch(/march|mtune|mcpu/);
    // The runtime stage installs only the OpenBLAS runtime.
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(runtime.match(/apt-get install -y --no-install-recommends ([^\n\\]+)/)![1].trim()).toBe(
      'libopenblas0-pthread',
    );
  });

  it('lays out /var/task with infra/aws/inference-image.ts (as the tests do) and starts the Runtime Interface Client', () => {
    expect(dockerfile).toContain('node --import tsx infra/aws/inference-image.ts /var/task');
    expect(dockerfile).toContain('npm run build:ric');
    expect(dockerfile).toMatch(
      /^ENTRYPOINT \["\/usr\/local\/bin\/node", "\/var\/task\/node_modules\/aws-lambda-ric\/index\.mjs"\]$/m,
    );
    expect(dockerfile).toMatch(/^CMD \["index\.handler"\]$/m);
    // Build-time checks: the addon loads and the bundle's init selects the native kernels.
    expect(dockerfile).toContain("grep -q '+ native kernels via'");
  });
});

describe('events', () => {
  it('sends Batch Job State Change events of our queue to the batch-events Lambda, with retries and a DLQ', () => {
    const queue = s.logicalId(s.stack.training.queue);
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.batch'],
        'detail-type': ['Batch Job State Change'],
        detail: { jobQueue: [{ 'Fn::GetAtt': [queue, 'JobQueueArn'] }] },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [s.functions['batch-events'], 'Arn'] },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [s.logicalId(s.stack.jobEvents.deadLetterQueue), 'Arn'] },
          },
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 8 }),
        }),
      ],
    });
  });

  it('runs the reconciler and the webhook sweeper every minute, each with a DLQ', () => {
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [s.functions.reconciler, 'Arn'] },
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [s.functions['webhook-delivery'], 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [s.logicalId(s.stack.webhooks.deadLetterQueue), 'Arn'] } },
        }),
      ],
    });
  });

  it('sends invocations that fail every retry to a DLQ (Lambda on-failure destination)', () => {
    for (const name of ['batch-events', 'reconciler', 'webhook-delivery'] as const) {
      s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: s.functions[name] },
        DestinationConfig: {
          OnFailure: { Destination: Match.objectLike({ 'Fn::GetAtt': Match.arrayWith(['Arn']) }) },
        },
      });
    }
    for (const [, q] of ofType('AWS::SQS::Queue')) {
      expect(q.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
    }
  });
});

describe('secrets', () => {
  it('keeps the OpenAI key and the webhook signing material in Secrets Manager; functions get ARNs only', () => {
    s.template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    const secretIds = new Set(ofType('AWS::SecretsManager::Secret').map(([id]) => id));
    for (const [name, id] of Object.entries(s.functions)) {
      const vars = resources()[id].Properties.Environment.Variables as Record<string, unknown>;
      for (const [k, v] of Object.entries(vars)) {
        const refersToSecret = JSON.stringify(v).match(/"Ref":"([^"]+)"/)?.[1];
        if (refersToSecret && secretIds.has(refersToSecret))
          expect(k, `${name}.${k}`).toMatch(/_SECRET_ARN$/);
        expect(k, `${name}.${k}`).not.toMatch(/(API_KEY|PASSWORD|TOKEN)$/);
      }
    }
  });
});

describe('alarms', () => {
  it('notify one SNS topic about DLQ messages, Lambda errors of each function, and API 5xx', () => {
    const topic = s.logicalId(s.stack.alarms.topic);
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: topic }]);
    const dlqAlarms = alarms.filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlqAlarms.map((a) => a.Dimensions[0].Value['Fn::GetAtt'][0]).sort()).toEqual(
      [s.logicalId(s.stack.jobEvents.deadLetterQueue), s.logicalId(s.stack.webhooks.deadLetterQueue)].sort(),
    );
    const errorAlarms = alarms.filter((a) => a.Namespace === 'AWS/Lambda' && a.MetricName === 'Errors');
    expect(errorAlarms.map((a) => a.Dimensions[0].Value.Ref).sort()).toEqual(
      Object.values(s.functions).sort(),
    );
    expect(alarms.some((a) => a.Namespace === 'AWS/ApiGateway' && a.MetricName === '5xx')).toBe(true);
    s.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });
});

describe('IAM least privilege', () => {
  const roles = () => ({
    api: roleOf(s.functions.api),
    'batch-events': roleOf(s.functions['batch-events']),
    reconciler: roleOf(s.functions.reconciler),
    'webhook-delivery': roleOf(s.functions['webhook-delivery']),
    inference: roleOf(s.functions.inference),
    runner: s.logicalId(s.stack.training.jobRole),
  });

  it('grants no service-wide wildcard action (no dynamodb:*, s3:*, batch:* …) to any role', () => {
    for (const [, policy] of ofType('AWS::IAM::Policy')) {
      for (const action of actionsOf(policy.Properties.PolicyDocument.Statement)) {
        expect(action).not.toBe('*');
        expect(action).not.toMatch(/:\*$/);
      }
    }
  });

  it('lets the API start, cancel and pause (terminate) Batch jobs of our queue and definition, but not describe or list them', () => {
    const st = statementsOfRole(s.template, roles().api);
    const actions = actionsOf(st);
    expect(actions).toEqual(
      expect.arrayContaining(['batch:SubmitJob', 'batch:CancelJob', 'batch:TerminateJob']),
    );
    expect(actions).not.toContain('batch:DescribeJobs');
    const submit = st.find((x) => actionsOf([x]).includes('batch:SubmitJob'))!;
    const submitResources = JSON.stringify(submit.Resource);
    expect(submitResources).toContain(s.logicalId(s.stack.training.queue));
    expect(submitResources).not.toContain('"*"');
  });

  it('gives the batch-events Lambda the table only: no Batch, S3 or secret access', () => {
    const actions = actionsOf(statementsOfRole(s.template, roles()['batch-events']));
    expect(actions.filter((a) => !a.startsWith('dynamodb:') && !a.startsWith('sqs:'))).toEqual([]);
    expect(actions).not.toContain('dynamodb:Scan');
  });

  it('lets the reconciler submit, describe and stop Batch jobs (sweeps prune trials) and read only what a submit reads', () => {
    const st = statementsOfRole(s.template, roles().reconciler);
    const actions = actionsOf(st);
    expect(actions).toEqual(
      expect.arrayContaining([
        'batch:SubmitJob',
        'batch:DescribeJobs',
        'batch:CancelJob',
        'batch:TerminateJob',
      ]),
    );
    expect([...new Set(actions.filter((a) => a.startsWith('s3:')))].sort()).toEqual([
      's3:GetObject',
      's3:ListBucket',
    ]);
    expect(actions).not.toContain('s3:PutObject');
  });

  it('gives the webhook sweeper the table and the signing secret, nothing of Batch, S3 or OpenAI', () => {
    const st = statementsOfRole(s.template, roles()['webhook-delivery']);
    const actions = actionsOf(st);
    expect(actions.some((a) => a.startsWith('batch:') || a.startsWith('s3:'))).toBe(false);
    const secretReads = st.filter((x) => actionsOf([x]).includes('secretsmanager:GetSecretValue'));
    expect(JSON.stringify(secretReads.map((x) => x.Resource))).toBe(
      JSON.stringify([{ Ref: s.logicalId(s.stack.secrets.webhookSigning) }]),
    );
  });

  it('scopes object access to key prefixes: the runner reads training data but cannot overwrite it', () => {
    const st = statementsOfRole(s.template, roles().runner);
    const put = JSON.stringify(
      st.filter((x) => actionsOf([x]).includes('s3:PutObject')).map((x) => x.Resource),
    );
    expect(put).toContain('/checkpoints/*');
    expect(put).toContain('/results/*');
    expect(put).not.toContain('/files/*');
    expect(put).not.toContain('/uploads/*');
    const get = JSON.stringify(
      st.filter((x) => actionsOf([x]).includes('s3:GetObject')).map((x) => x.Resource),
    );
    expect(get).toContain('/files/*');
    expect(get).toContain('/uploads/*'); // files completed from multipart uploads keep their uploads/ key
    expect(actionsOf(st).some((a) => a.startsWith('secretsmanager:'))).toBe(false);
    expect(actionsOf(st).some((a) => a.startsWith('batch:'))).toBe(false);
  });

  it('lets only the API and the reconciler read the OpenAI secret', () => {
    const openAi = s.logicalId(s.stack.secrets.openAi);
    const readers = Object.entries(roles())
      .filter(([, role]) => JSON.stringify(statementsOfRole(s.template, role)).includes(`"Ref":"${openAi}"`))
      .map(([name]) => name);
    expect(readers.sort()).toEqual(['api', 'reconciler']);
  });
});

describe('Lambda environments', () => {
  for (const name of ['api', 'batch-events', 'reconciler', 'webhook-delivery', 'inference'] as const) {
    it(`${name}: the synthesized environment satisfies the function's config schema and sets nothing else`, () => {
      const env = runtimeEnvironment(s.template, s.functions[name]);
      const schema = LAMBDA_ENV_SCHEMAS[name];
      const parsed = schema.safeParse(env);
      expect(parsed.error?.issues ?? []).toEqual([]);
      const known = new Set([...Object.keys(schema.shape), 'NODE_OPTIONS']);
      expect(Object.keys(env).filter((k) => !known.has(k))).toEqual([]);
    });
  }

  it('resolves references the way CloudFormation does (ARNs where the schema wants ARNs)', () => {
    const env = runtimeEnvironment(s.template, s.functions.api);
    expect(env.TUNEPLANE_BATCH_JOB_QUEUE).toMatch(/^arn:aws:batch:/);
    expect(() => resolveIntrinsic({ Ref: 'NoSuchResource' }, {})).toThrow();
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unsuppressed error or warning', () => {
    const findings = [
      ...s.annotations.findError('*', Match.anyValue()),
      ...s.annotations.findWarning('*', Match.anyValue()),
    ]
      .map((f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`)
      .filter((f) => f.includes('AwsSolutions-'));
    expect(findings).toEqual([]);
  });

  it('explains every suppression', () => {
    const suppressions = Object.values(resources()).flatMap(
      (r) => (r.Metadata?.cdk_nag?.rules_to_suppress ?? []) as { id: string; reason: string }[],
    );
    expect(suppressions.length).toBeGreaterThan(0);
    for (const sup of suppressions) expect(sup.reason.length, sup.id).toBeGreaterThan(40);
  });
});
