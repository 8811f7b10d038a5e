/**
 * AWS SDK clients for the stores and blobs, from config. On the embedded stack the endpoints
 * point at dynalite and s3rver (loopback, dummy static credentials, path-style S3, checksums
 * only when required — s3rver does not speak the newer flexible checksums).
 * On AWS the endpoints are unset and the default credential chain is used.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsClientsConfig {
  region: string;
  /** TUNEPLANE_DYNAMODB_ENDPOINT: set only on the embedded stack. */
  dynamodbEndpoint?: string;
  /** TUNEPLANE_S3_ENDPOINT: set only on the embedded stack. */
  s3Endpoint?: string;
}

export interface AwsClients {
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  destroy(): void;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function createAwsClients(config: AwsClientsConfig): AwsClients {
  const dynamodb = new DynamoDBClient({
    region: config.region,
    ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint, credentials: LOCAL_CREDENTIALS } : {}),
  });
  const doc = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  const s3 = new S3Client({
    region: config.region,
    ...(config.s3Endpoint
      ? {
          endpoint: config.s3Endpoint,
          credentials: LOCAL_CREDENTIALS,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
  });
  return {
    dynamodb,
    doc,
    s3,
    destroy() {
      doc.destroy();
      dynamodb.destroy();
      s3.destroy();
    },
  };
}
