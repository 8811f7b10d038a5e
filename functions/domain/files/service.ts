/** Files: store the bytes, validate fine-tune data, keep the record; all scoped to a tenant. */
import { NotFoundError, ValidationError } from '../../errors';
import type { BlobStore } from '../../ports/blobs';
import type { Clock, IdGenerator } from '../../ports/clock';
import type { FileStore, ListOptions } from '../../ports/store';
import type { FileRecord, Page, TenantId } from '../records';
import { describeProblems, validateTrainingFile, type TrainingFileReport } from './validate';

export interface FileDeps {
  stores: { files: FileStore };
  blobs: BlobStore;
  clock: Clock;
  ids: IdGenerator;
}

export const fileBlobKey = (tenantId: TenantId, fileId: string) => `files/${tenantId}/${fileId}`;

/** Purposes whose content the trainer reads, so it is validated as training data. */
export const VALIDATED_PURPOSES = new Set(['fine-tune']);

/** `expires_after` with anchor `created_at`: the file's expiry, when it has one. */
function expiry(createdAt: number, seconds: number | undefined): Pick<FileRecord, 'expiresAt'> {
  return seconds === undefined ? {} : { expiresAt: createdAt + seconds };
}

function applyReport(record: FileRecord, report: TrainingFileReport): FileRecord {
  return {
    ...record,
    status: report.valid ? 'processed' : 'error',
    statusDetails: report.valid ? undefined : describeProblems(report.problems),
    format: report.format ?? undefined,
    exampleCount: report.exampleCount,
    tokenCount: report.tokenCount,
    labels: report.labels ?? undefined,
  };
}

/**
 * A direct upload. Invalid fine-tune data is refused with a 400 naming the line and the rule, and
 * nothing is stored: the caller still has the bytes and can fix them.
 */
export async function createFile(
  deps: FileDeps,
  tenantId: TenantId,
  input: {
    filename: string;
    purpose: string;
    bytes: Uint8Array;
    contentType?: string;
    /** `expires_after.seconds` (anchor `created_at`). */
    expiresAfterSeconds?: number;
  },
): Promise<FileRecord> {
  const createdAt = Math.floor(deps.clock.nowMs() / 1000);
  let record: FileRecord = {
    id: deps.ids.next('file-'),
    tenantId,
    filename: input.filename,
    bytes: input.bytes.byteLength,
    purpose: input.purpose,
    createdAt,
    ...expiry(createdAt, input.expiresAfterSeconds),
    status: 'processed',
    blobKey: '',
  };
  record.blobKey = fileBlobKey(tenantId, record.id);
  if (VALIDATED_PURPOSES.has(input.purpose)) {
    const report = await validateTrainingFile(input.bytes);
    if (!report.valid) {
      throw new ValidationError(
        `Invalid fine-tune file "${input.filename}": ${describeProblems(report.problems)}`,
        'file',
        'invalid_file',
      );
    }
    record = applyReport(record, report);
  }
  await deps.blobs.put(record.blobKey, input.bytes, input.contentType || 'application/octet-stream');
  await deps.stores.files.put(record);
  return record;
}

/**
 * A file whose bytes are already in the blob store (a completed upload). Validated by streaming;
 * invalid data still becomes a File, with status `error` and the problems in `status_details`,
 * because the bytes are already stored and the caller should see why they cannot train.
 */
export async function createFileFromBlob(
  deps: FileDeps,
  tenantId: TenantId,
  input: {
    fileId: string;
    filename: string;
    purpose: string;
    bytes: number;
    blobKey: string;
    expiresAfterSeconds?: number;
  },
): Promise<FileRecord> {
  const createdAt = Math.floor(deps.clock.nowMs() / 1000);
  let record: FileRecord = {
    id: input.fileId,
    tenantId,
    filename: input.filename,
    bytes: input.bytes,
    purpose: input.purpose,
    createdAt,
    ...expiry(createdAt, input.expiresAfterSeconds),
    status: 'processed',
    blobKey: input.blobKey,
  };
  if (VALIDATED_PURPOSES.has(input.purpose)) {
    record = applyReport(record, await validateTrainingFile(await deps.blobs.getStream(input.blobKey)));
  }
  await deps.stores.files.put(record);
  return record;
}

export async function getFile(
  deps: Pick<FileDeps, 'stores'>,
  tenantId: TenantId,
  id: string,
): Promise<FileRecord> {
  const file = await deps.stores.files.get(tenantId, id);
  if (!file || file.deleted) throw new NotFoundError('file', id, 'file_id');
  return file;
}

export function listFiles(
  deps: Pick<FileDeps, 'stores'>,
  tenantId: TenantId,
  opts: ListOptions & { purpose?: string; order?: 'asc' | 'desc' },
): Promise<Page<FileRecord>> {
  return deps.stores.files.list(tenantId, opts);
}

export async function deleteFile(deps: FileDeps, tenantId: TenantId, id: string): Promise<void> {
  const file = await getFile(deps, tenantId, id);
  await deps.stores.files.markDeleted(tenantId, id);
  await deps.blobs.delete(file.blobKey);
}

export async function fileContent(
  deps: FileDeps,
  tenantId: TenantId,
  id: string,
): Promise<{ file: FileRecord; body: ReadableStream<Uint8Array> }> {
  const file = await getFile(deps, tenantId, id);
  return { file, body: await deps.blobs.getStream(file.blobKey) };
}
