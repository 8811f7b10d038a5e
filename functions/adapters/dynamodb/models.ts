/**
 * Models in the single table: the system's base models and each tenant's fine-tuned ones.
 *
 *   pk MODEL#<id>   sk MODEL
 *   gsi1pk OWNER#<tenant | system>#MODELS   gsi1sk <id>
 *
 * Deleting marks the record and drops it from the owner index.
 */
import type { ModelRecord, TenantId } from '../../domain/records';
import { NotFoundError } from '../../errors';
import type { ModelStore } from '../../ports/store';
import { fromItem, markDeletedForTenant, type TableContext } from './table';

const key = (id: string) => ({ pk: `MODEL#${id}`, sk: 'MODEL' });
const owner = (tenantId: string) => `OWNER#${tenantId}#MODELS`;

export class DynamoModelStore implements ModelStore {
  constructor(private readonly ctx: TableContext) {}

  async put(model: ModelRecord): Promise<void> {
    const index = model.deleted ? {} : { gsi1pk: owner(model.tenantId), gsi1sk: model.id };
    await this.ctx.doc.put({ TableName: this.ctx.table, Item: { ...model, ...key(model.id), ...index } });
  }

  async get(tenantId: TenantId, id: string): Promise<ModelRecord | undefined> {
    const res = await this.ctx.doc.get({ TableName: this.ctx.table, Key: key(id), ConsistentRead: true });
    const model = res.Item ? fromItem<ModelRecord>(res.Item) : undefined;
    if (!model || model.deleted) return undefined;
    return model.tenantId === tenantId || model.tenantId === 'system' ? model : undefined;
  }

  /** The system's base models first, then the tenant's own, each newest first. */
  async list(tenantId: TenantId): Promise<ModelRecord[]> {
    const out: ModelRecord[] = [];
    for (const o of tenantId === 'system' ? ['system'] : ['system', tenantId]) {
      let start: Record<string, unknown> | undefined;
      do {
        const res = await this.ctx.doc.query({
          TableName: this.ctx.table,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :p',
          ExpressionAttributeValues: { ':p': owner(o) },
          ScanIndexForward: false,
          ExclusiveStartKey: start,
        });
        for (const item of res.Items ?? []) {
          const m = fromItem<ModelRecord>(item);
          if (!m.deleted) out.push(m);
        }
        start = res.LastEvaluatedKey;
      } while (start);
    }
    return out;
  }

  /** Only the owner deletes; system models cannot be deleted through a tenant. */
  async markDeleted(tenantId: TenantId, id: string): Promise<void> {
    await markDeletedForTenant(this.ctx, key(id), tenantId, () => new NotFoundError('model', id, 'model'));
  }
}
