export { S3BlobStore } from './blobs';
export { createS3Client, type S3ClientConfig } from './client';
export { lazyS3BlobStore } from './lazy';
