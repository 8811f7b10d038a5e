/**
 * Files past their `expires_after` are hidden at once (the store filters them on read); this
 * pass deletes them for good, bytes first, then the record, so a crash in between leaves an
 * expired record the next pass finds again rather than bytes nobody can find. The embedded
 * stack's worker loop and the scheduled reconciler on AWS run it (dynalite has no TTL, and on
 * AWS the bytes live in S3, which the table's TTL cannot reach).
 */
import { NotFoundError } from '../../errors';
import type { BlobStore } from '../../ports/blobs';
import type { Clock } from '../../ports/clock';
import type { FileStore } from '../../ports/store';

export interface ExpiryDeps {
  stores: { files: FileStore };
  blobs: BlobStore;
  clock: Clock;
}

/** Deletes up to `limit` expired files with their bytes; returns their ids. */
export async function deleteExpiredFiles(deps: ExpiryDeps, opts: { limit: number }): Promise<string[]> {
  const now = Math.floor(deps.clock.nowMs() / 1000);
  const deleted: string[] = [];
  for (const file of await deps.stores.files.listExpired(now, opts.limit)) {
    await deps.blobs.delete(file.blobKey);
    try {
      await deps.stores.files.markDeleted(file.tenantId, file.id);
    } catch (err) {
      // Deleted meanwhile (by its owner, or another pass): its bytes are gone either way.
      if (!(err instanceof NotFoundError)) throw err;
    }
    deleted.push(file.id);
  }
  return deleted;
}
