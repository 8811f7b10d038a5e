/**
 * API keys in the single table, looked up by the sha256 of the presented key.
 *
 *   pk APIKEY#<keyHash>   sk APIKEY
 */
import type { ApiKeyRecord } from '../../domain/records';
import type { ApiKeyStore } from '../../ports/store';
import { fromItem, type TableContext } from './table';

const key = (keyHash: string) => ({ pk: `APIKEY#${keyHash}`, sk: 'APIKEY' });

export class DynamoApiKeyStore implements ApiKeyStore {
  constructor(private readonly ctx: TableContext) {}

  async put(record: ApiKeyRecord): Promise<void> {
    await this.ctx.doc.put({ TableName: this.ctx.table, Item: { ...record, ...key(record.keyHash) } });
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
}
