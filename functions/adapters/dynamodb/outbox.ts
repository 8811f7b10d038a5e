/**
 * The webhook outbox in the single table.
 *
 *   pk OUTBOX#<id>   sk OUTBOX
 *   gsi2pk OUTBOX#pending   gsi2sk <createdAt, 12 digits>#<id>     only while pending, oldest first
 *
 * Ids are deterministic (`${jobId}:${status}`), and `put` never overwrites: recording the same
 * happening twice, even after it was dispatched, changes nothing.
 */
import type { OutboxRecord } from '../../domain/records';
import type { OutboxStore } from '../../ports/store';
import { fromItem, gsi2Partition, putIfAbsent, type TableContext } from './table';

const key = (id: string) => ({ pk: `OUTBOX#${id}`, sk: 'OUTBOX' });
const PENDING = 'OUTBOX#pending';

export class DynamoOutboxStore implements OutboxStore {
  constructor(private readonly ctx: TableContext) {}

  async put(entry: OutboxRecord): Promise<void> {
    const index =
      entry.status === 'pending'
        ? { gsi2pk: PENDING, gsi2sk: `${String(entry.createdAt).padStart(12, '0')}#${entry.id}` }
        : {};
    await putIfAbsent(() =>
      this.ctx.doc.put({
        TableName: this.ctx.table,
        Item: { ...entry, ...key(entry.id), ...index },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async listPending(limit: number): Promise<OutboxRecord[]> {
    const items = await gsi2Partition(this.ctx, PENDING, limit);
    return items.map((item) => fromItem<OutboxRecord>(item));
  }

  async markDispatched(id: string): Promise<void> {
    await this.ctx.doc
      .update({
        TableName: this.ctx.table,
        Key: key(id),
        UpdateExpression: 'SET #s = :d REMOVE gsi2pk, gsi2sk',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':d': 'dispatched' },
      })
      .catch((err: unknown) => {
        // Marking an unknown entry is a no-op, like marking one twice.
        if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
      });
  }
}
