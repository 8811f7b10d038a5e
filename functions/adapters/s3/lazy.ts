/**
 * The S3 blob store, with the S3 SDK loaded on first use. A Lambda that answers mostly job and
 * key lookups should not parse ~300 KB of S3 client at every cold start; the routes that do touch
 * blobs (files, uploads, models) pay for it once, on their first call.
 */
import type { BlobStore } from '../../ports/blobs';
import type { S3ClientConfig } from './client';

export function lazyS3BlobStore(config: S3ClientConfig, bucket: string): BlobStore {
  let loaded: Promise<BlobStore> | undefined;
  const load = async (): Promise<BlobStore> => {
    const [{ createS3Client }, { S3BlobStore }] = await Promise.all([import('./client'), import('./blobs')]);
    return new S3BlobStore(createS3Client(config), bucket);
  };
  const store = (): Promise<BlobStore> => {
    loaded ??= load().catch((err: unknown) => {
      loaded = undefined; // not cached: the next call tries again
      throw err;
    });
    return loaded;
  };
  return {
    put: async (...a) => (await store()).put(...a),
    get: async (...a) => (await store()).get(...a),
    getStream: async (...a) => (await store()).getStream(...a),
    head: async (...a) => (await store()).head(...a),
    delete: async (...a) => (await store()).delete(...a),
    list: async (...a) => (await store()).list(...a),
    createMultipart: async (...a) => (await store()).createMultipart(...a),
    presignPart: async (...a) => (await store()).presignPart(...a),
    listParts: async (...a) => (await store()).listParts(...a),
    completeMultipart: async (...a) => (await store()).completeMultipart(...a),
    abortMultipart: async (...a) => (await store()).abortMultipart(...a),
  };
}
