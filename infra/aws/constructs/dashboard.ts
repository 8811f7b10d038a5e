/**
 * The dashboard on AWS: its static files (dashboard/build.ts, built at synth time) in a private
 * bucket, served by CloudFront, which also routes `/v1/*` and `/openapi.json` to the HTTP API, and
 * `/v1/chat/completions` and `/v1/completions` to the inference function's streaming URL. The
 * page and the API share one origin, so the browser needs no CORS and sends the key only to it.
 * API requests are never cached and reach the API with every viewer header (Authorization,
 * Idempotency-Key) but Host, which API Gateway needs to be its own.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { dashboardCsp } from '../../../dashboard/csp';
import type { Api } from './api';
import type { Inference } from './inference';
import { repoRoot } from '../paths';

export interface DashboardProps {
  readonly api: Api;
  /** Serves POST /v1/chat/completions and /v1/completions, streamed (constructs/inference.ts). */
  readonly inference: Inference;
  /** The data bucket: the browser PUTs large uploads' parts to its presigned URLs. */
  readonly uploads: s3.IBucket;
}

/** The built site, bundled locally at synth time like the Lambdas (never in Docker). */
function siteSource(): s3deploy.ISource {
  const build = join(repoRoot, 'dashboard', 'build.ts');
  return s3deploy.Source.asset(join(repoRoot, 'dashboard'), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('unused-local-bundling-only'),
      command: ['dashboard'],
      local: {
        tryBundle(outputDir: string): boolean {
          const run = spawnSync(process.execPath, ['--import', 'tsx', build, outputDir], {
            stdio: ['ignore', 'ignore', 'inherit'],
          });
          if (run.status !== 0)
            throw new Error(`building the dashboard failed (exit ${run.status ?? run.signal})`);
          return true;
        },
      },
    },
  });
}

export class Dashboard extends Construct {
  readonly bucket: s3.Bucket;
  readonly logs: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.logs = new s3.Bucket(this, 'Logs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // CloudFront's standard logs are written with ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Site', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 'site-bucket/',
      // Build output only: rebuilt from the repository on every deploy.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Tuneplane dashboard: CSP (this origin only), HSTS, nosniff, no framing',
      securityHeadersBehavior: {
        // The embedded stack's policy (dashboard/csp.ts); presigned part URLs use the bucket's regional name.
        contentSecurityPolicy: {
          contentSecurityPolicy: dashboardCsp(`https://${props.uploads.bucketRegionalDomainName}`),
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
    });
    const apiOrigin = new origins.HttpOrigin(
      `${props.api.httpApi.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`,
      {
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
        // API Gateway answers within 30 s; model downloads stream for longer between bytes only rarely.
        readTimeout: Duration.seconds(30),
      },
    );
    const apiBehavior: cloudfront.BehaviorOptions = {
      origin: apiOrigin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      // With caching disabled this forwards Authorization too; Host stays API Gateway's own.
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      compress: true,
    };
    // Generation streams from the inference function's URL. Its first byte waits for the model to
    // load on a cold start (the status goes out once the request is accepted), hence the longer
    // read timeout: CloudFront's ceiling without a quota increase.
    const inferenceBehavior: cloudfront.BehaviorOptions = {
      ...apiBehavior,
      origin: new origins.FunctionUrlOrigin(props.inference.url, {
        readTimeout: Duration.seconds(60),
        keepaliveTimeout: Duration.seconds(60),
      }),
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      // A stream must not be buffered for compression.
      compress: false,
    };
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Tuneplane dashboard and API',
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: this.logs,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      // First match wins, in this order: the generation paths before the rest of /v1.
      additionalBehaviors: {
        '/v1/chat/completions': inferenceBehavior,
        '/v1/completions': inferenceBehavior,
        '/v1/*': apiBehavior,
        '/openapi.json': apiBehavior,
      },
    });

    new s3deploy.BucketDeployment(this, 'Deploy', {
      sources: [siteSource()],
      destinationBucket: this.bucket,
      // Asset names carry a content hash; index.html names the current ones. Revalidated on every
      // load (ETag), and the edge copies are invalidated by each deploy.
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
    });

    NagSuppressions.addResourceSuppressions(this.logs, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'This is the access-log bucket (site bucket and CloudFront logs land here); logging it to itself would log its own log writes.',
      },
    ]);
    NagSuppressions.addResourceSuppressions(this.distribution, [
      {
        id: 'AwsSolutions-CFR1',
        reason: 'A self-hosted API for its owner’s apps, wherever they run: no country is to be refused.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'Every API request needs an API key checked by the app, and API Gateway throttles the stage; a WAF web ACL ' +
          'would cost more per month than the rest of the idle stack.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The distribution uses its default *.cloudfront.net certificate, for which CloudFront fixes the viewer TLS ' +
          'policy; TLSv1.2_2021 applies as soon as a custom domain and certificate are added.',
      },
    ]);
    // CDK's own singleton functions: the bucket deployment and the site bucket's auto-delete.
    for (const child of stack.node.children) {
      if (
        child.node.id.startsWith('Custom::CDKBucketDeployment') ||
        child.node.id.startsWith('Custom::S3AutoDeleteObjects')
      ) {
        NagSuppressions.addResourceSuppressions(
          child,
          [
            {
              id: 'AwsSolutions-IAM4',
              reason:
                'CDK’s deployment helper Lambda uses AWSLambdaBasicExecutionRole for its own CloudWatch logs only.',
              appliesTo: [
                'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
              ],
            },
            {
              id: 'AwsSolutions-IAM5',
              reason:
                'CDK’s deployment helper copies the site’s files: object wildcards on the site bucket and the CDK asset ' +
                'bucket, and CloudFront invalidation of this distribution; CDK generates these grants.',
            },
            {
              id: 'AwsSolutions-L1',
              reason:
                'The runtime of CDK’s own deployment helper Lambda is chosen by aws-cdk-lib, not by this app.',
            },
          ],
          true,
        );
      }
    }
  }

  /** The dashboard's URL (and, under /v1, the API's through the same origin). */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}/`;
  }
}
