/**
 * Both clients for the stores and blobs, from config: the DynamoDB document client and the S3
 * client (for the embedded stack, the tests, the runner and scripts; the Lambdas load S3 lazily).
 * On the embedded stack the endpoints point at dynalite and s3rver on loopback, and requests are
 * signed with the credentials that start of the stack made (given here, or in the environment's
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for its runner processes). On AWS the endpoints are
 * unset: regional endpoints and the environment's credentials.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { documentClientFor, type DocumentClient } from './dynamodb/document-client';
import { createS3Client } from './s3/client';

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface AwsClientsConfig {
  region: string;
  /** TUNEPLANE_DYNAMODB_ENDPOINT: set only on the embedded stack. */
  dynamodbEndpoint?: string;
  /** TUNEPLANE_S3_ENDPOINT: set only on the embedded stack. */
  s3Endpoint?: string;
  /** The embedded stores' credentials; the default provider chain when absent. */
  credentials?: StaticCredentials;
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
