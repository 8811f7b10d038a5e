/**
 * Webhook endpoints and deliveries in the single table.
 *
 *   pk WHEP#<tenant>        sk WHEP#<endpointId>     endpoints, one partition per tenant
 *                                                    (ids sort by time → newest first by sk)
 *   pk WHDL#<deliveryId>    sk WHDL                  deliveries; the id is `${outboxId}:${endpointId}`,
 *                                                    created put-if-absent
 *     gsi1pk WHEP#<endpointId>#DELIVERIES  gsi1sk <createdAtMs:15>#<deliveryId>   an endpoint's log, newest first
 *     gsi2pk WHDUE#<shard 0-3>             gsi2sk <nextAttemptAtMs:15>#<deliveryId> pending deliveries by due
 *                                                    time; sparse (removed once final); sharded so
 *                                                    busy periods do not heat one partition
 *   expiresAt  delivery logs are kept 30 days (filtered on read; dynalite has no TTL)
 */
import { createHash } from 'node:crypto';
import type { Page, TenantId } from '../../domain/records';
import type { WebhookDeliveryRecord, WebhookEndpointRecord } from '../../domain/webhooks/records';
import type { ListOptions } from '../../ports/store';
import type { WebhookDeliveryStore, WebhookEndpointStore, WebhookStores } from '../../ports/webhooks';
import {
  conditional,
  fromItem,
  isConditionalFailure,
  nowSeconds,
  queryPage,
  setExpression,
  type TableContext,
} from './table';

const DUE_SHARDS = 4;
const DELIVERY_RETENTION_SECONDS = 30 * 24 * 3600;

const pad = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(15, '0');
const endpointKey = (tenantId: TenantId, id: string) => ({ pk: `WHEP#${tenantId}`, sk: `WHEP#${id}` });
const deliveryKey = (id: string) => ({ pk: `WHDL#${id}`, sk: 'WHDL' });
const logIndex = (endpointId: string) => `WHEP#${endpointId}#DELIVERIES`;
const dueShard = (id: string) => `WHDUE#${createHash('sha256').update(id).digest()[0] % DUE_SHARDS}`;

export class DynamoWebhookEndpointStore implements WebhookEndpointStore {
  constructor(private readonly ctx: TableContext) {}

  async create(endpoint: WebhookEndpointRecord): Promise<void> {
    await conditional(
      () =>
        this.ctx.doc.put({
          TableName: this.ctx.table,
          Item: { ...endpoint, ...endpointKey(endpoint.tenantId, endpoint.id) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      `Webhook endpoint ${endpoint.id} already exists.`,
    );
  }

  async get(tenantId: TenantId, id: string): Promise<WebhookEndpointRecord | undefined> {
    const res = await this.ctx.doc.get({
      TableName: this.ctx.table,
      Key: endpointKey(tenantId, id),
      ConsistentRead: true,
    });
    return res.Item ? fromItem<WebhookEndpointRecord>(res.Item) : undefined;
  }

  async list(tenantId: TenantId, opts: ListOptions): Promise<Page<WebhookEndpointRecord>> {
    const { items, hasMore } = await queryPage(
      this.ctx,
      {
        KeyConditionExpression: opts.after ? 'pk = :p AND sk < :after' : 'pk = :p AND begins_with(sk, :pre)',
        ExpressionAttributeValues: {
          ':p': `WHEP#${tenantId}`,
          ...(opts.after ? { ':after': `WHEP#${opts.after}` } : { ':pre': 'WHEP#' }),
        },
        ScanIndexForward: false,
        ConsistentRead: true,
      },
      opts.limit,
    );
    return { items: items.map((i) => fromItem<WebhookEndpointRecord>(i)), hasMore };
  }

  async listAll(tenantId: TenantId): Promise<WebhookEndpointRecord[]> {
    const out: WebhookEndpointRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.ctx.doc.query({
        TableName: this.ctx.table,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': `WHEP#${tenantId}` },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      });
      for (const item of res.Items ?? []) out.push(fromItem<WebhookEndpointRecord>(item));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async update(
    tenantId: TenantId,
    id: string,
    expectedVersion: number,
    patch: Partial<Omit<WebhookEndpointRecord, 'id' | 'tenantId' | 'version'>>,
  ): Promise<WebhookEndpointRecord> {
    const fields: Record<string, unknown> = { ...patch };
    for (const k of ['id', 'tenantId', 'version']) delete fields[k];
    const set = setExpression(fields);
    const res = await conditional(
      () =>
        this.ctx.doc.update({
          TableName: this.ctx.table,
          Key: endpointKey(tenantId, id),
          UpdateExpression: `SET ${set.expr ? `${set.expr}, ` : ''}#version = #version + :one`,
          ConditionExpression: 'attribute_exists(pk) AND #version = :expected',
          ExpressionAttributeNames: { ...set.names, '#version': 'version' },
          ExpressionAttributeValues: { ...set.values, ':expected': expectedVersion, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      `Webhook endpoint ${id} changed since it was read.`,
    );
    return fromItem<WebhookEndpointRecord>(res.Attributes!);
  }

  async delete(tenantId: TenantId, id: string): Promise<void> {
    await this.ctx.doc.delete({ TableName: this.ctx.table, Key: endpointKey(tenantId, id) });
  }
}

export class DynamoWebhookDeliveryStore implements WebhookDeliveryStore {
  constructor(private readonly ctx: TableContext) {}

  private live(item: Record<string, unknown> | undefined): WebhookDeliveryRecord | undefined {
    if (!item) return undefined;
    if (typeof item.expiresAt === 'number' && item.expiresAt <= nowSeconds(this.ctx)) return undefined;
    return fromItem<WebhookDeliveryRecord>(item, ['expiresAt']);
  }

  async createIfAbsent(delivery: WebhookDeliveryRecord): Promise<boolean> {
    try {
      await this.ctx.doc.put({
        TableName: this.ctx.table,
        Item: {
          ...delivery,
          ...deliveryKey(delivery.id),
          gsi1pk: logIndex(delivery.endpointId),
          gsi1sk: `${pad(delivery.createdAtMs)}#${delivery.id}`,
          ...(delivery.status === 'pending' && delivery.nextAttemptAtMs !== null
            ? { gsi2pk: dueShard(delivery.id), gsi2sk: `${pad(delivery.nextAttemptAtMs)}#${delivery.id}` }
            : {}),
          expiresAt: Math.floor(delivery.createdAtMs / 1000) + DELIVERY_RETENTION_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      return true;
    } catch (err) {
      if (isConditionalFailure(err)) return false;
      throw err;
    }
  }

  async get(id: string): Promise<WebhookDeliveryRecord | undefined> {
    const res = await this.ctx.doc.get({
      TableName: this.ctx.table,
      Key: deliveryKey(id),
      ConsistentRead: true,
    });
    return this.live(res.Item);
  }

  async listByEndpoint(endpointId: string, opts: ListOptions): Promise<Page<WebhookDeliveryRecord>> {
    let cursor: string | undefined;
    if (opts.after) {
      const res = await this.ctx.doc.get({ TableName: this.ctx.table, Key: deliveryKey(opts.after) });
      if (!res.Item || res.Item.endpointId !== endpointId) return { items: [], hasMore: false };
      cursor = res.Item.gsi1sk as string;
    }
    const { items, hasMore } = await queryPage(
      this.ctx,
      {
        IndexName: 'gsi1',
        KeyConditionExpression: cursor ? 'gsi1pk = :p AND gsi1sk < :c' : 'gsi1pk = :p',
        FilterExpression: 'expiresAt > :now',
        ExpressionAttributeValues: {
          ':p': logIndex(endpointId),
          ':now': nowSeconds(this.ctx),
          ...(cursor ? { ':c': cursor } : {}),
        },
        ScanIndexForward: false,
      },
      opts.limit,
    );
    return { items: items.map((i) => fromItem<WebhookDeliveryRecord>(i, ['expiresAt'])), hasMore };
  }

  async listDue(nowMs: number, limit: number): Promise<WebhookDeliveryRecord[]> {
    const perShard = await Promise.all(
      Array.from({ length: DUE_SHARDS }, (_, shard) =>
        this.ctx.doc.query({
          TableName: this.ctx.table,
          IndexName: 'gsi2',
          KeyConditionExpression: 'gsi2pk = :p AND gsi2sk <= :due',
          // `~` sorts after every id character: everything due at or before nowMs.
          ExpressionAttributeValues: { ':p': `WHDUE#${shard}`, ':due': `${pad(nowMs)}#~` },
          Limit: limit,
        }),
      ),
    );
    // The index is eventually consistent: the engine's conditional claim on the base item decides.
    return perShard
      .flatMap((r) => r.Items ?? [])
      .sort((a, b) => String(a.gsi2sk).localeCompare(String(b.gsi2sk)))
      .slice(0, limit)
      .map((i) => fromItem<WebhookDeliveryRecord>(i, ['expiresAt']));
  }

  async update(
    id: string,
    expectedVersion: number,
    patch: Partial<Omit<WebhookDeliveryRecord, 'id' | 'tenantId' | 'endpointId' | 'version'>>,
  ): Promise<WebhookDeliveryRecord> {
    const fields: Record<string, unknown> = { ...patch };
    for (const k of ['id', 'tenantId', 'endpointId', 'version']) delete fields[k];
    const final =
      (patch.status !== undefined && patch.status !== 'pending') || patch.nextAttemptAtMs === null;
    if (!final && typeof patch.nextAttemptAtMs === 'number') {
      fields.gsi2pk = dueShard(id);
      fields.gsi2sk = `${pad(patch.nextAttemptAtMs)}#${id}`;
    }
    const set = setExpression(fields);
    const res = await conditional(
      () =>
        this.ctx.doc.update({
          TableName: this.ctx.table,
          Key: deliveryKey(id),
          UpdateExpression:
            `SET ${set.expr ? `${set.expr}, ` : ''}#version = #version + :one` +
            (final ? ' REMOVE gsi2pk, gsi2sk' : ''),
          ConditionExpression: 'attribute_exists(pk) AND #version = :expected',
          ExpressionAttributeNames: { ...set.names, '#version': 'version' },
          ExpressionAttributeValues: { ...set.values, ':expected': expectedVersion, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      `Webhook delivery ${id} changed since it was read.`,
    );
    return fromItem<WebhookDeliveryRecord>(res.Attributes!, ['expiresAt']);
  }
}

export function createDynamoWebhookStores(ctx: TableContext): WebhookStores {
  return { endpoints: new DynamoWebhookEndpointStore(ctx), deliveries: new DynamoWebhookDeliveryStore(ctx) };
}
