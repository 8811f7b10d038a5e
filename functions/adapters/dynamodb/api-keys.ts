/**
 * API keys in the single table, looked up by the sha256 of the presented key.
 *
 *   pk APIKEY#<keyHash>   sk APIKEY
 *   gsi1pk TENANT#<tenant>#APIKEYS   gsi1sk <createdAt, 10 digits>#<keyHash>   a tenant's keys
 *   gsi2pk APIKEYS                   gsi2sk <createdAt, 10 digits>#<keyHash>   every key
 *
 * `expiresAt` is the table's TTL attribute: DynamoDB drops expired keys on AWS; the domain refuses
 * them at once everywhere.
 */
import type { ApiKeyRecord, TenantId } from '../../domain/records';
import type { ApiKeyStore } from '../../ports/store';
import { fromItem, isConditionalFailure, queryPage, type TableContext } from './table';

const key = (keyHash: string) => ({ pk: `APIKEY#${keyHash}`, sk: 'APIKEY' });
const byTime = (r: ApiKeyRecord) => `${String(r.createdAt).padStart(10, '0')}#${r.keyHash}`;
/** Listings read at most this many keys: an operator's view, not a bulk export. */
const LIST_LIMIT = 1000;

export class DynamoApiKeyStore implements ApiKeyStore {
  constructor(private readonly ctx: TableContext) {}

  async put(record: ApiKeyRecord): Promise<void> {
    await this.ctx.doc.put({
      TableName: this.ctx.table,
      Item: {
        ...record,
        ...key(record.keyHash),
        gsi1pk: `TENANT#${record.tenantId}#APIKEYS`,
        gsi1sk: byTime(record),
        gsi2pk: 'APIKEYS',
        gsi2sk: byTime(record),
      },
    });
  }

  async getByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    // Consistent: a key works on the request right after it was created.
    const res = await this.ctx.doc.get({
      TableName: this.ctx.table,
      Key: key(keyHash),
      ConsistentRead: true,
    });
    return res.Item ? fromItem<ApiKeyRecord>(res.Item) : undefined;
  }

  async list(tenantId?: TenantId): Promise<ApiKeyRecord[]> {
    const { items } = await queryPage(
      this.ctx,
      tenantId
        ? {
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :p',
            ExpressionAttributeValues: { ':p': `TENANT#${tenantId}#APIKEYS` },
            ScanIndexForward: false,
          }
        : {
            IndexName: 'gsi2',
            KeyConditionExpression: 'gsi2pk = :p',
            ExpressionAttributeValues: { ':p': 'APIKEYS' },
            ScanIndexForward: false,
          },
      LIST_LIMIT,
    );
    return items.map((i) => fromItem<ApiKeyRecord>(i));
  }

  async revoke(keyHash: string, atSeconds: number): Promise<void> {
    try {
      await this.ctx.doc.update({
        TableName: this.ctx.table,
        Key: key(keyHash),
        UpdateExpression: 'SET revokedAt = :at',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
        ExpressionAttributeValues: { ':at': atSeconds },
      });
    } catch (err) {
      // Already revoked (or gone): the key does not authenticate either way.
      if (!isConditionalFailure(err)) throw err;
    }
  }
}
