export { S3BlobStore } from './blobs';
