/**
 * Large uploads straight to the blob store through presigned multipart URLs (a Lambda cannot take
 * large bodies). The client PUTs parts of `partSize` bytes; `complete` asks the store which parts
 * it received (never trusting the client's list), assembles them, checks the size, and validates
 * the result by streaming it like a direct upload before the File exists.
 */
import { ConflictError, NotFoundError, ValidationError } from '../../errors';
import type { BlobStore } from '../../ports/blobs';
import type { Clock, IdGenerator } from '../../ports/clock';
import type { FileStore, UploadStore } from '../../ports/store';
import { createFileFromBlob } from '../files';
import type { FileRecord, TenantId, UploadRecord } from '../records';

/** S3 allows at most 10,000 parts per upload. */
const MAX_PARTS = 10_000;

export interface UploadConfig {
  maxUploadBytes: number;
  uploadPartBytes: number;
  presignExpiresSeconds: number;
  uploadTtlSeconds: number;
}

export interface UploadDeps {
  stores: { uploads: UploadStore; files: FileStore };
  blobs: BlobStore;
  clock: Clock;
  ids: IdGenerator;
  config: UploadConfig;
}

export interface PartUrl {
  partNumber: number;
  url: string;
  expiresAt: number;
}

export interface UploadView {
  upload: UploadRecord;
  partSize: number;
  partCount: number;
  parts: PartUrl[] | null;
  file: FileRecord | null;
}

export function partLayout(bytes: number, minPartBytes: number): { partSize: number; partCount: number } {
  const partSize = Math.max(minPartBytes, Math.ceil(bytes / MAX_PARTS));
  return { partSize, partCount: Math.ceil(bytes / partSize) };
}

const nowS = (clock: Clock) => Math.floor(clock.nowMs() / 1000);

/** Pending uploads past their expiry are shown (and treated) as expired. */
function effective(upload: UploadRecord, now: number): UploadRecord {
  return upload.status === 'pending' && now >= upload.expiresAt ? { ...upload, status: 'expired' } : upload;
}

async function sign(deps: UploadDeps, upload: UploadRecord, numbers: number[]): Promise<PartUrl[]> {
  const expiresAt = nowS(deps.clock) + deps.config.presignExpiresSeconds;
  return Promise.all(
    numbers.map(async (partNumber) => ({
      partNumber,
      url: await deps.blobs.presignPart(
        upload.blobKey,
        upload.multipartId,
        partNumber,
        deps.config.presignExpiresSeconds,
      ),
      expiresAt,
    })),
  );
}

async function view(deps: UploadDeps, upload: UploadRecord, parts: PartUrl[] | null): Promise<UploadView> {
  const { partSize, partCount } = partLayout(upload.bytes, deps.config.uploadPartBytes);
  const file = upload.fileId ? ((await deps.stores.files.get(upload.tenantId, upload.fileId)) ?? null) : null;
  return { upload: effective(upload, nowS(deps.clock)), partSize, partCount, parts, file };
}

export async function createUpload(
  deps: UploadDeps,
  tenantId: TenantId,
  input: {
    filename: string;
    purpose: string;
    bytes: number;
    mimeType: string;
    /** `expires_after.seconds` of the File the upload creates. */
    fileExpiresAfterSeconds?: number;
  },
): Promise<UploadView> {
  if (input.bytes > deps.config.maxUploadBytes) {
    throw new ValidationError(
      `bytes: ${input.bytes} exceeds the upload limit of ${deps.config.maxUploadBytes} bytes`,
      'bytes',
      'file_too_large',
    );
  }
  const id = deps.ids.next('upload_');
  const blobKey = `uploads/${tenantId}/${id}`;
  const multipartId = await deps.blobs.createMultipart(blobKey, input.mimeType);
  const now = nowS(deps.clock);
  const upload: UploadRecord = {
    id,
    tenantId,
    filename: input.filename,
    bytes: input.bytes,
    purpose: input.purpose,
    mimeType: input.mimeType,
    status: 'pending',
    createdAt: now,
    expiresAt: now + deps.config.uploadTtlSeconds,
    blobKey,
    multipartId,
    ...(input.fileExpiresAfterSeconds !== undefined
      ? { fileExpiresAfterSeconds: input.fileExpiresAfterSeconds }
      : {}),
  };
  await deps.stores.uploads.put(upload);
  const { partCount } = partLayout(input.bytes, deps.config.uploadPartBytes);
  return view(
    deps,
    upload,
    await sign(
      deps,
      upload,
      Array.from({ length: partCount }, (_, i) => i + 1),
    ),
  );
}

async function pending(deps: UploadDeps, tenantId: TenantId, id: string): Promise<UploadRecord> {
  const upload = await getUploadRecord(deps, tenantId, id);
  const shown = effective(upload, nowS(deps.clock));
  if (shown.status !== 'pending')
    throw new ConflictError(`Upload ${id} is ${shown.status}, not pending.`, 'upload_not_pending');
  return upload;
}

async function getUploadRecord(deps: UploadDeps, tenantId: TenantId, id: string): Promise<UploadRecord> {
  const upload = await deps.stores.uploads.get(tenantId, id);
  if (!upload) throw new NotFoundError('upload', id, 'upload_id');
  return upload;
}

export async function getUpload(deps: UploadDeps, tenantId: TenantId, id: string): Promise<UploadView> {
  return view(deps, await getUploadRecord(deps, tenantId, id), null);
}

export async function signUploadParts(
  deps: UploadDeps,
  tenantId: TenantId,
  id: string,
  partNumbers?: number[],
): Promise<UploadView> {
  const upload = await pending(deps, tenantId, id);
  const { partCount } = partLayout(upload.bytes, deps.config.uploadPartBytes);
  const numbers = partNumbers ?? Array.from({ length: partCount }, (_, i) => i + 1);
  numbers.forEach((n, i) => {
    if (n > partCount)
      throw new ValidationError(
        `part_numbers[${i}]: ${n} is beyond the last part (${partCount})`,
        `part_numbers[${i}]`,
      );
  });
  return view(deps, upload, await sign(deps, upload, [...new Set(numbers)]));
}

export async function completeUpload(deps: UploadDeps, tenantId: TenantId, id: string): Promise<UploadView> {
  const upload = await pending(deps, tenantId, id);
  const { partCount } = partLayout(upload.bytes, deps.config.uploadPartBytes);
  let received: Awaited<ReturnType<BlobStore['listParts']>> | null;
  try {
    received = (await deps.blobs.listParts(upload.blobKey, upload.multipartId)).sort(
      (a, b) => a.partNumber - b.partNumber,
    );
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    received = null;
  }
  if (received) {
    const have = new Set(received.map((p) => p.partNumber));
    const missing = Array.from({ length: partCount }, (_, i) => i + 1).filter((n) => !have.has(n));
    if (missing.length) {
      throw new ValidationError(
        `Upload ${id} is missing part(s) ${missing.slice(0, 10).join(', ')} of ${partCount}; PUT them, then complete.`,
        'parts',
        'upload_incomplete',
      );
    }
    const extra = received.filter((p) => p.partNumber > partCount).map((p) => p.partNumber);
    if (extra.length)
      throw new ValidationError(
        `Upload ${id} has parts beyond the last (${partCount}): ${extra.join(', ')}`,
        'parts',
      );
    await deps.blobs.completeMultipart(upload.blobKey, upload.multipartId, received);
  } else if (!(await deps.blobs.head(upload.blobKey))) {
    throw new ConflictError(
      `Upload ${id} has neither parts nor an assembled object; create a new upload.`,
      'upload_not_pending',
    );
  }
  // No multipart but an object: an earlier complete assembled it and died (a Lambda timeout while
  // validating a large file) before recording the upload; this retry finishes its work.
  const size = (await deps.blobs.head(upload.blobKey))?.bytes ?? 0;
  if (size !== upload.bytes) {
    await deps.blobs.delete(upload.blobKey);
    await deps.stores.uploads.setStatus(tenantId, id, 'pending', 'cancelled');
    throw new ValidationError(
      `The parts add up to ${size} bytes but the upload declared ${upload.bytes}; the upload is cancelled.`,
      'bytes',
      'upload_size_mismatch',
    );
  }
  // Derived from the upload, so a retried complete rewrites the same File instead of adding one.
  const fileId = `file-${id.replace(/^upload_/, '')}`;
  await createFileFromBlob(deps, tenantId, {
    fileId,
    filename: upload.filename,
    purpose: upload.purpose,
    bytes: size,
    blobKey: upload.blobKey,
    expiresAfterSeconds: upload.fileExpiresAfterSeconds,
  });
  const done = await deps.stores.uploads.setStatus(tenantId, id, 'pending', 'completed', { fileId });
  return view(deps, done, null);
}

export async function cancelUpload(deps: UploadDeps, tenantId: TenantId, id: string): Promise<UploadView> {
  const upload = await pending(deps, tenantId, id);
  await deps.blobs.abortMultipart(upload.blobKey, upload.multipartId);
  const cancelled = await deps.stores.uploads.setStatus(tenantId, id, 'pending', 'cancelled');
  return view(deps, cancelled, null);
}
