/**
 * Tenants in the single table.
 *
 *   pk TENANT#<id>   sk TENANT
 *   gsi2pk TENANTS   gsi2sk <id>   every tenant
 */
import type { TenantId, TenantRecord } from '../../domain/records';
import type { TenantStore } from '../../ports/store';
import { conditional, fromItem, queryPage, type TableContext } from './table';

const key = (id: TenantId) => ({ pk: `TENANT#${id}`, sk: 'TENANT' });

export class DynamoTenantStore implements TenantStore {
  constructor(private readonly ctx: TableContext) {}

  async create(tenant: TenantRecord): Promise<void> {
    await conditional(
      () =>
        this.ctx.doc.put({
          TableName: this.ctx.table,
          Item: { ...tenant, ...key(tenant.id), gsi2pk: 'TENANTS', gsi2sk: tenant.id },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      `Tenant ${tenant.id} exists.`,
    );
  }

  async get(id: TenantId): Promise<TenantRecord | undefined> {
    const res = await this.ctx.doc.get({ TableName: this.ctx.table, Key: key(id), ConsistentRead: true });
    return res.Item ? fromItem<TenantRecord>(res.Item) : undefined;
  }

  async list(): Promise<TenantRecord[]> {
    const { items } = await queryPage(
      this.ctx,
      {
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :p',
        ExpressionAttributeValues: { ':p': 'TENANTS' },
      },
      10_000,
    );
    return items.map((i) => fromItem<TenantRecord>(i));
  }

  async revoke(id: TenantId, atSeconds: number): Promise<void> {
    await this.ctx.doc.update({
      TableName: this.ctx.table,
      Key: key(id),
      UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :at)',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':at': atSeconds },
    });
  }
}
