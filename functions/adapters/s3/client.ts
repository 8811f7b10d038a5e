/**
 * The S3 client from config. On the embedded stack the endpoint points at s3rver (loopback,
 * path-style, checksums only when required — s3rver does not speak the newer flexible
 * checksums) and requests are signed with the stack's credentials. On AWS the endpoint is unset
 * and the default credential chain is used.
 */
import { S3Client } from '@aws-sdk/client-s3';

export interface S3ClientConfig {
  region: string;
  /** TUNEPLANE_S3_ENDPOINT: set only on the embedded stack. */
  s3Endpoint?: string;
  /** The embedded stack's credentials; the default chain (e.g. AWS_ACCESS_KEY_ID) when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function createS3Client(config: S3ClientConfig): S3Client {
  return new S3Client({
    region: config.region,
    ...(config.s3Endpoint
      ? {
          endpoint: config.s3Endpoint,
          ...(config.credentials ? { credentials: config.credentials } : {}),
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
  });
}
