/**
 * Both clients for the stores and blobs, from config: the DynamoDB document client and the S3
 * client (for the embedded stack, the tests, the runner and scripts; the Lambdas load S3 lazily). On the embedded stack the endpoints point at dynalite and s3rver (loopback,
 * dummy static credentials). On AWS the endpoints are unset: regional endpoints and the
 * environment's credentials.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { documentClientFor, type DocumentClient } from './dynamodb/document-client';
import { createS3Client } from './s3/client';

export interface AwsClientsConfig {
  region: string;
  /** TUNEPLANE_DYNAMODB_ENDPOINT: set only on the embedded stack. */
  dynamodbEndpoint?: string;
  /** TUNEPLANE_S3_ENDPOINT: set only on the embedded stack. */
  s3Endpoint?: string;
}

export interface AwsClients {
  doc: DocumentClient;
  s3: S3Client;
  destroy(): void;
}

export function createAwsClients(config: AwsClientsConfig): AwsClients {
  const s3 = createS3Client(config);
  return { doc: documentClientFor(config), s3, destroy: () => s3.destroy() };
}
