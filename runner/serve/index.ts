/** Public surface of serving: the model cache and the request scheduler (runner/entry/serve.ts runs it). */
export { InferenceServer, failureOf } from './server';
export type { ServerOptions } from './server';
export { ModelCache, ServeFailure } from './models';
export type { ServeBlobs, ServedModel } from './models';
export { diskCachedBlobs } from './disk-cache';
export type { DiskCacheOptions, DiskCachedBlobs } from './disk-cache';
export { inProcessInference } from './in-process';
