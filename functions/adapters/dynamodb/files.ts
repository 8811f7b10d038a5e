/**
 * Files in the single table.
 *
 *   pk FILE#<id>   sk FILE
 *   gsi1pk TENANT#<tenant>#FILES   gsi1sk <id>    newest first (ids sort by time)
 *
 * Deleting marks the record and drops it from the tenant index; `get` hides deleted files.
 */
import type { FileRecord, Page, TenantId } from '../../domain/records';
import { NotFoundError } from '../../errors';
import type { FileStore, ListOptions } from '../../ports/store';
import { fromItem, markDeletedForTenant, queryPage, type TableContext } from './table';

const key = (id: string) => ({ pk: `FILE#${id}`, sk: 'FILE' });

export class DynamoFileStore implements FileStore {
  constructor(private readonly ctx: TableContext) {}

  async put(file: FileRecord): Promise<void> {
    const index = file.deleted ? {} : { gsi1pk: `TENANT#${file.tenantId}#FILES`, gsi1sk: file.id };
    await this.ctx.doc.put({ TableName: this.ctx.table, Item: { ...file, ...key(file.id), ...index } });
  }

  async get(tenantId: TenantId, id: string): Promise<FileRecord | undefined> {
    const res = await this.ctx.doc.get({ TableName: this.ctx.table, Key: key(id), ConsistentRead: true });
    const file = res.Item ? fromItem<FileRecord>(res.Item) : undefined;
    return file && file.tenantId === tenantId && !file.deleted ? file : undefined;
  }

  async list(tenantId: TenantId, opts: ListOptions & { purpose?: string }): Promise<Page<FileRecord>> {
    const values: Record<string, unknown> = { ':p': `TENANT#${tenantId}#FILES` };
    if (opts.after) values[':after'] = opts.after;
    if (opts.purpose) values[':purpose'] = opts.purpose;
    const { items, hasMore } = await queryPage(
      this.ctx,
      {
        IndexName: 'gsi1',
        KeyConditionExpression: opts.after ? 'gsi1pk = :p AND gsi1sk < :after' : 'gsi1pk = :p',
        FilterExpression: opts.purpose ? 'purpose = :purpose' : undefined,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
      },
      opts.limit,
    );
    return { items: items.map((i) => fromItem<FileRecord>(i)).filter((f) => !f.deleted), hasMore };
  }

  async markDeleted(tenantId: TenantId, id: string): Promise<void> {
    await markDeletedForTenant(this.ctx, key(id), tenantId, () => new NotFoundError('file', id, 'file_id'));
  }
}
