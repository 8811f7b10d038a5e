/**
 * The S3 client from config. On the embedded stack the endpoint points at s3rver (loopback,
 * dummy static credentials, path-style, checksums only when required — s3rver does not speak
 * the newer flexible checksums). On AWS the endpoint is unset and the default credential chain
 * is used.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS } from '../local-credentials';

export interface S3ClientConfig {
  region: string;
  /** TUNEPLANE_S3_ENDPOINT: set only on the embedded stack. */
  s3Endpoint?: string;
}

export function createS3Client(config: S3ClientConfig): S3Client {
  return new S3Client({
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
}
