/**
 * Checkpoints in the single table, next to their job.
 *
 *   pk JOB#<jobId>   sk CKPT#<id>
 *   gsi1pk JOB#<jobId>#CKPTS   gsi1sk <stepNumber, 12 digits>#<id>    newest (highest step) first
 */
import type { CheckpointRecord, Page } from '../../domain/records';
import type { CheckpointStore, ListOptions } from '../../ports/store';
import { fromItem, newestFirstAfter, type TableContext } from './table';

const key = (jobId: string, id: string) => ({ pk: `JOB#${jobId}`, sk: `CKPT#${id}` });
const order = (c: CheckpointRecord) => `${String(c.stepNumber).padStart(12, '0')}#${c.id}`;

export class DynamoCheckpointStore implements CheckpointStore {
  constructor(private readonly ctx: TableContext) {}

  /** Idempotent on id: a repeated put of the same checkpoint writes the same item. */
  async put(checkpoint: CheckpointRecord): Promise<void> {
    await this.ctx.doc.put({
      TableName: this.ctx.table,
      Item: {
        ...checkpoint,
        ...key(checkpoint.jobId, checkpoint.id),
        gsi1pk: `JOB#${checkpoint.jobId}#CKPTS`,
        gsi1sk: order(checkpoint),
      },
    });
  }

  async list(jobId: string, opts: ListOptions): Promise<Page<CheckpointRecord>> {
    const after = opts.after ? key(jobId, opts.after) : undefined;
    const { items, hasMore } = await newestFirstAfter(this.ctx, `JOB#${jobId}#CKPTS`, after, opts.limit);
    return { items: items.map((i) => fromItem<CheckpointRecord>(i)), hasMore };
  }

  async delete(jobId: string, id: string): Promise<void> {
    await this.ctx.doc.delete({ TableName: this.ctx.table, Key: key(jobId, id) });
  }
}
