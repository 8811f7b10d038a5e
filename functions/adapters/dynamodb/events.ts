/**
 * Job events in the single table, next to their job.
 *
 *   pk JOB#<jobId>   sk EVENT#<id>                    the id is deterministic (domain/lifecycle),
 *                                                     so a put of an existing id is a no-op
 *   gsi1pk JOB#<jobId>#EVENTS   gsi1sk <seq>#<id>     order of first write, newest first
 *
 * Event ids are hashes (they must be reproducible by a retry), so they do not sort by time; the
 * order comes from `seq`, microseconds of the first write, made strictly increasing per process.
 */
import type { JobEventRecord, Page } from '../../domain/records';
import type { JobEventStore, ListOptions } from '../../ports/store';
import { fromItem, newestFirstAfter, putIfAbsent, type TableContext } from './table';

let lastSeq = 0;
/** 16 digits of microseconds since the epoch, strictly increasing within this process. */
export function nextSeq(nowMs: number): string {
  lastSeq = Math.max(nowMs * 1000, lastSeq + 1);
  return String(lastSeq).padStart(16, '0');
}

export class DynamoJobEventStore implements JobEventStore {
  constructor(private readonly ctx: TableContext) {}

  async append(event: JobEventRecord): Promise<void> {
    await putIfAbsent(() =>
      this.ctx.doc.put({
        TableName: this.ctx.table,
        Item: {
          ...event,
          pk: `JOB#${event.jobId}`,
          sk: `EVENT#${event.id}`,
          gsi1pk: `JOB#${event.jobId}#EVENTS`,
          // Wall clock, not ctx.clock: the order of writes, even when tests freeze time.
          gsi1sk: `${nextSeq(Date.now())}#${event.id}`,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async list(jobId: string, opts: ListOptions): Promise<Page<JobEventRecord>> {
    const after = opts.after ? { pk: `JOB#${jobId}`, sk: `EVENT#${opts.after}` } : undefined;
    const { items, hasMore } = await newestFirstAfter(this.ctx, `JOB#${jobId}#EVENTS`, after, opts.limit);
    return { items: items.map((i) => fromItem<JobEventRecord>(i)), hasMore };
  }
}
