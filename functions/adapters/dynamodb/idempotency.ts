/**
 * Idempotency records in the single table, one per (tenant, Idempotency-Key).
 *
 *   pk IDEM#<tenant>#<key>   sk IDEM      TTL attribute expiresAt (the record's own expiry)
 *
 * `claim` is one conditional put: it succeeds when no record exists or the stored one has
 * expired (dynalite never deletes it; real DynamoDB deletes it some time after expiry).
 */
import type { IdempotencyRecord, TenantId } from '../../domain/records';
import type { IdempotencyStore } from '../../ports/store';
import { fromItem, isConditionalFailure, nowSeconds, type TableContext } from './table';

const key = (tenantId: string, k: string) => ({ pk: `IDEM#${tenantId}#${k}`, sk: 'IDEM' });

export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(private readonly ctx: TableContext) {}

  async claim(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    // Two tries: the record that beat us may expire (or be released) between our put and our get.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.ctx.doc.put({
          TableName: this.ctx.table,
          Item: { ...record, ...key(record.tenantId, record.key) },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': nowSeconds(this.ctx) },
        });
        return undefined;
      } catch (err) {
        if (!isConditionalFailure(err)) throw err;
      }
      const existing = await this.read(record.tenantId, record.key);
      if (existing) return existing;
    }
    throw new Error(`Idempotency key ${record.key} could not be claimed nor read`);
  }

  private async read(tenantId: TenantId, k: string): Promise<IdempotencyRecord | undefined> {
    const res = await this.ctx.doc.get({
      TableName: this.ctx.table,
      Key: key(tenantId, k),
      ConsistentRead: true,
    });
    if (!res.Item || (res.Item.expiresAt as number) <= nowSeconds(this.ctx)) return undefined;
    return fromItem<IdempotencyRecord>(res.Item);
  }

  async complete(
    tenantId: TenantId,
    k: string,
    response: NonNullable<IdempotencyRecord['response']>,
    expiresAt?: number,
  ): Promise<void> {
    const extend = expiresAt !== undefined;
    try {
      await this.ctx.doc.update({
        TableName: this.ctx.table,
        Key: key(tenantId, k),
        UpdateExpression: `SET #s = :done, #r = :r${extend ? ', #e = :e' : ''}`,
        // A claim that vanished (released, or expired and deleted) is not re-created half-filled.
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: {
          '#s': 'status',
          '#r': 'response',
          ...(extend ? { '#e': 'expiresAt' } : {}),
        },
        ExpressionAttributeValues: {
          ':done': 'completed',
          ':r': response,
          ...(extend ? { ':e': expiresAt } : {}),
        },
      });
    } catch (err) {
      if (!isConditionalFailure(err)) throw err;
    }
  }

  async release(tenantId: TenantId, k: string): Promise<void> {
    try {
      await this.ctx.doc.delete({
        TableName: this.ctx.table,
        Key: key(tenantId, k),
        // Never drop a completed record: its stored response is the point.
        ConditionExpression: '#s = :p',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':p': 'in_progress' },
      });
    } catch (err) {
      if (!isConditionalFailure(err)) throw err;
    }
  }
}
