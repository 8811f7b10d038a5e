/**
 * Files in the single table.
 *
 *   pk FILE#<id>   sk FILE
 *   gsi1pk TENANT#<tenant>#FILES   gsi1sk <id>                   by time (ids sort by time)
 *   gsi2pk FILES#EXPIRING          gsi2sk <expiresAt, 10 digits>#<id>   files that expire
 *
 * Deleting marks the record and drops it from both indexes; `get` and `list` hide deleted files
 * and expired ones (the reconciler deletes those with their bytes). A file's expiry is stored as
 * `fileExpiresAt`, not the table's TTL attribute `expiresAt`: DynamoDB must not drop the item
 * before its bytes are deleted.
 */
import type { FileRecord, Page, TenantId } from '../../domain/records';
import { NotFoundError } from '../../errors';
import type { FileStore, ListOptions } from '../../ports/store';
import { fromItem, isConditionalFailure, nowSeconds, queryPage, type TableContext } from './table';

const key = (id: string) => ({ pk: `FILE#${id}`, sk: 'FILE' });
const EXPIRING = 'FILES#EXPIRING';
const expirySortKey = (expiresAt: number, id: string) => `${String(expiresAt).padStart(10, '0')}#${id}`;

function toItem(file: FileRecord): Record<string, unknown> {
  const { expiresAt, ...rest } = file;
  const live = !file.deleted;
  return {
    ...rest,
    ...key(file.id),
    ...(live ? { gsi1pk: `TENANT#${file.tenantId}#FILES`, gsi1sk: file.id } : {}),
    ...(expiresAt !== undefined ? { fileExpiresAt: expiresAt } : {}),
    ...(live && expiresAt !== undefined
      ? { gsi2pk: EXPIRING, gsi2sk: expirySortKey(expiresAt, file.id) }
      : {}),
  };
}

function fromFileItem(item: Record<string, unknown>): FileRecord {
  const { fileExpiresAt, ...rest } = fromItem<FileRecord & { fileExpiresAt?: number }>(item);
  return fileExpiresAt === undefined ? rest : { ...rest, expiresAt: fileExpiresAt };
}

export class DynamoFileStore implements FileStore {
  constructor(private readonly ctx: TableContext) {}

  private expired(file: FileRecord): boolean {
    return file.expiresAt !== undefined && file.expiresAt <= nowSeconds(this.ctx);
  }

  async put(file: FileRecord): Promise<void> {
    await this.ctx.doc.put({ TableName: this.ctx.table, Item: toItem(file) });
  }

  async get(tenantId: TenantId, id: string): Promise<FileRecord | undefined> {
    const res = await this.ctx.doc.get({ TableName: this.ctx.table, Key: key(id), ConsistentRead: true });
    const file = res.Item ? fromFileItem(res.Item) : undefined;
    return file && file.tenantId === tenantId && !file.deleted && !this.expired(file) ? file : undefined;
  }

  async list(
    tenantId: TenantId,
    opts: ListOptions & { purpose?: string; order?: 'asc' | 'desc' },
  ): Promise<Page<FileRecord>> {
    const asc = opts.order === 'asc';
    const values: Record<string, unknown> = {
      ':p': `TENANT#${tenantId}#FILES`,
      ':now': nowSeconds(this.ctx),
    };
    if (opts.after) values[':after'] = opts.after;
    if (opts.purpose) values[':purpose'] = opts.purpose;
    const filters = ['(attribute_not_exists(fileExpiresAt) OR fileExpiresAt > :now)'];
    if (opts.purpose) filters.push('purpose = :purpose');
    const { items, hasMore } = await queryPage(
      this.ctx,
      {
        IndexName: 'gsi1',
        KeyConditionExpression: opts.after
          ? `gsi1pk = :p AND gsi1sk ${asc ? '>' : '<'} :after`
          : 'gsi1pk = :p',
        FilterExpression: filters.join(' AND '),
        ExpressionAttributeValues: values,
        ScanIndexForward: asc,
      },
      opts.limit,
    );
    return { items: items.map(fromFileItem).filter((f) => !f.deleted), hasMore };
  }

  async listExpired(now: number, limit: number): Promise<FileRecord[]> {
    const { items } = await queryPage(
      this.ctx,
      {
        IndexName: 'gsi2',
        // Every file expiring at or before `now`: ids sort after '#', so '#~' closes the range.
        KeyConditionExpression: 'gsi2pk = :p AND gsi2sk <= :upto',
        ExpressionAttributeValues: { ':p': EXPIRING, ':upto': `${String(now).padStart(10, '0')}#~` },
        ScanIndexForward: true,
      },
      limit,
    );
    return items.map(fromFileItem).filter((f) => !f.deleted);
  }

  async markDeleted(tenantId: TenantId, id: string): Promise<void> {
    try {
      await this.ctx.doc.update({
        TableName: this.ctx.table,
        Key: key(id),
        UpdateExpression: 'SET deleted = :true REMOVE gsi1pk, gsi1sk, gsi2pk, gsi2sk',
        ConditionExpression: 'attribute_exists(pk) AND tenantId = :t',
        ExpressionAttributeValues: { ':true': true, ':t': tenantId },
      });
    } catch (err) {
      if (isConditionalFailure(err)) throw new NotFoundError('file', id, 'file_id');
      throw err;
    }
  }
}
