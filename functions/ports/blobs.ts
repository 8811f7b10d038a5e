/** The blob port: files, checkpoints and models (S3 in production and on the embedded stack). */

export interface MultipartPart {
  partNumber: number;
  etag: string;
}

export interface BlobStore {
  put(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  /** Throws NotFoundError when absent. */
  get(key: string): Promise<Uint8Array>;
  /** Streams large objects without holding them in memory. */
  getStream(key: string): Promise<ReadableStream<Uint8Array>>;
  head(key: string): Promise<{ bytes: number } | undefined>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;

  /** Presigned multipart upload: the client PUTs parts straight to the store. */
  createMultipart(key: string, contentType: string): Promise<string>;
  presignPart(
    key: string,
    multipartId: string,
    partNumber: number,
    expiresInSeconds: number,
  ): Promise<string>;
  /** Parts the store has received (so `complete` need not trust the client's list). */
  listParts(key: string, multipartId: string): Promise<MultipartPart[]>;
  completeMultipart(key: string, multipartId: string, parts: MultipartPart[]): Promise<void>;
  abortMultipart(key: string, multipartId: string): Promise<void>;
}
