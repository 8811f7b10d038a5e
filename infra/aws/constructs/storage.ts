/**
 * The single DynamoDB table and the single S3 bucket (docs/ARCHITECTURE.md, "Storage: table,
 * bucket, environment"), and the grants other constructs ask for. Grants name exact actions (never
 * `dynamodb:*` / `s3:*`) and, for S3, the key prefixes the grantee works under.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

/** The bucket's key prefixes (docs/ARCHITECTURE.md, "Storage: table, bucket, environment"). */
export type BlobPrefix = 'files' | 'uploads' | 'checkpoints' | 'models' | 'results';

export interface StorageProps {
  /** Origins allowed to PUT presigned parts from a browser. Default: any (the URL itself is the credential). */
  readonly uploadCorsOrigins?: string[];
  /** Keep the table and bucket when the stack is deleted (default true: they hold customer data). */
  readonly retainData?: boolean;
}

const ITEM_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
];
const ITEM_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

export class Storage extends Construct {
  readonly table: dynamodb.Table;
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const removalPolicy = props.retainData === false ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const key = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: key('pk'),
      sortKey: key('sk'),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      removalPolicy,
    });
    for (const n of [1, 2]) {
      this.table.addGlobalSecondaryIndex({
        indexName: `gsi${n}`,
        partitionKey: key(`gsi${n}pk`),
        sortKey: key(`gsi${n}sk`),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      lifecycleRules: [
        // Abandoned presigned multipart uploads otherwise keep their parts (and their cost) forever.
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(2) },
      ],
      cors: [
        {
          // Browsers PUT parts to presigned URLs and must read each part's ETag to complete the upload.
          allowedMethods: [s3.HttpMethods.PUT],
          allowedOrigins: props.uploadCorsOrigins ?? ['*'],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
    });
    NagSuppressions.addResourceSuppressions(this.bucket, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'Server access logs would need a second bucket that itself cannot log; every access is by our own roles, ' +
          'which CloudTrail records, and presigned uploads are tracked in the table.',
      },
    ]);
  }

  /** Item reads on the table and its indexes. */
  grantTableRead(grantee: iam.IGrantable): void {
    this.grantTable(grantee, ITEM_READ_ACTIONS);
  }

  /** Item reads and conditional writes on the table and its indexes (no table management, no Scan). */
  grantTableReadWrite(grantee: iam.IGrantable): void {
    this.grantTable(grantee, [...ITEM_READ_ACTIONS, ...ITEM_WRITE_ACTIONS]);
  }

  /**
   * Object access under the given key prefixes: `read` = GetObject (incl. HEAD) and listing;
   * `write` = PutObject (incl. multipart create/upload-part/complete and presigned PUTs),
   * multipart listing/abort and DeleteObject.
   */
  grantObjects(grantee: iam.IGrantable, access: { read?: BlobPrefix[]; write?: BlobPrefix[] }): void {
    const read = access.read ?? [];
    const write = access.write ?? [];
    const objects = (prefixes: BlobPrefix[]) => prefixes.map((p) => this.bucket.arnForObjects(`${p}/*`));
    if (read.length > 0) {
      iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: objects(read) });
    }
    if (write.length > 0) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: [
          's3:PutObject',
          's3:DeleteObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
        resourceArns: objects(write),
      });
    }
    const listable = [...new Set([...read, ...write])];
    if (listable.length > 0) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [this.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': listable.map((p) => `${p}/*`) } },
        }),
      );
    }
  }

  private grantTable(grantee: iam.IGrantable, actions: string[]): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.table.tableArn, `${this.table.tableArn}/index/*`],
    });
  }
}

/** The IAM5 (wildcard resource) findings every grantee of `Storage` carries, and why they are fine. */
export const storageWildcardSuppression = {
  id: 'AwsSolutions-IAM5',
  reason:
    'Scoped to our own table and bucket: `index/*` covers exactly the two GSIs (gsi1, gsi2) the adapters query; ' +
    'object wildcards are per key prefix (files/, uploads/, checkpoints/, models/, results/) because object keys ' +
    'hold ids minted at run time.',
  appliesTo: [
    { regex: '/^Resource::<.*Table.*\\.Arn>\\/index\\/\\*$/' },
    { regex: '/^Resource::<.*Bucket.*\\.Arn>\\/(files|uploads|checkpoints|models|results)\\/\\*$/' },
  ],
};
