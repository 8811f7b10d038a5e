/**
 * Uploads (presigned multipart) in the single table.
 *
 *   pk UPLOAD#<id>   sk UPLOAD
 *
 * The record's own `expiresAt` (when the upload can no longer be completed) is stored as
 * `uploadExpiresAt`; the table's TTL attribute `expiresAt` is set a week later, so an expired
 * upload stays readable (status `expired`) for a while before it disappears. Both are checked
 * on read, because dynalite has no TTL.
 */
import type { TenantId, UploadRecord } from '../../domain/records';
import type { UploadStore } from '../../ports/store';
import { conditional, fromItem, nowSeconds, setExpression, type TableContext } from './table';

const key = (id: string) => ({ pk: `UPLOAD#${id}`, sk: 'UPLOAD' });
export const UPLOAD_RETENTION_SECONDS = 7 * 24 * 3600;

export class DynamoUploadStore implements UploadStore {
  constructor(private readonly ctx: TableContext) {}

  private toRecord(item: Record<string, unknown>): UploadRecord | undefined {
    if (typeof item.expiresAt === 'number' && item.expiresAt <= nowSeconds(this.ctx)) return undefined;
    const { uploadExpiresAt, ...rest } = fromItem<Record<string, unknown>>(item, ['expiresAt']);
    const upload = { ...rest, expiresAt: uploadExpiresAt } as UploadRecord;
    if (upload.status === 'pending' && upload.expiresAt <= nowSeconds(this.ctx)) upload.status = 'expired';
    return upload;
  }

  async put(upload: UploadRecord): Promise<void> {
    const { expiresAt, ...rest } = upload;
    await this.ctx.doc.put({
      TableName: this.ctx.table,
      Item: {
        ...rest,
        ...key(upload.id),
        uploadExpiresAt: expiresAt,
        expiresAt: expiresAt + UPLOAD_RETENTION_SECONDS,
      },
    });
  }

  async get(tenantId: TenantId, id: string): Promise<UploadRecord | undefined> {
    const res = await this.ctx.doc.get({ TableName: this.ctx.table, Key: key(id), ConsistentRead: true });
    const upload = res.Item ? this.toRecord(res.Item) : undefined;
    return upload?.tenantId === tenantId ? upload : undefined;
  }

  async setStatus(
    tenantId: TenantId,
    id: string,
    from: UploadRecord['status'],
    to: UploadRecord['status'],
    patch: Partial<UploadRecord> = {},
  ): Promise<UploadRecord> {
    const { expiresAt, id: _id, tenantId: _t, ...fields } = patch;
    void _id;
    void _t;
    const set = setExpression({
      ...fields,
      status: to,
      ...(expiresAt !== undefined ? { uploadExpiresAt: expiresAt } : {}),
    });
    const values: Record<string, unknown> = {
      ...set.values,
      ':tenant': tenantId,
      ':now': nowSeconds(this.ctx),
    };
    const conditions = ['attribute_exists(pk)', 'tenantId = :tenant', 'expiresAt > :now'];
    // A pending upload past its deadline reads as `expired`, so it is not `pending` for this write either.
    if (from === 'pending') conditions.push('#cur = :pending', 'uploadExpiresAt > :now');
    else if (from === 'expired')
      conditions.push('(#cur = :expired OR (#cur = :pending AND uploadExpiresAt <= :now))');
    else conditions.push('#cur = :from');
    if (from === 'pending' || from === 'expired') values[':pending'] = 'pending';
    if (from === 'expired') values[':expired'] = 'expired';
    if (from !== 'pending' && from !== 'expired') values[':from'] = from;
    const res = await conditional(
      () =>
        this.ctx.doc.update({
          TableName: this.ctx.table,
          Key: key(id),
          UpdateExpression: `SET ${set.expr}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: { ...set.names, '#cur': 'status' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      `Upload ${id} is no longer ${from}.`,
    );
    return this.toRecord(res.Attributes!)!;
  }
}
