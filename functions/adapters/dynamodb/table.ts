/**
 * The single table every store shares, and the small helpers the stores build on.
 *
 * Table (docs/ARCHITECTURE.md, "Storage: table, bucket, environment"): `pk` S / `sk` S; GSIs
 * `gsi1` (`gsi1pk`, `gsi1sk`) and `gsi2` (`gsi2pk`, `gsi2sk`), projection ALL; TTL attribute
 * `expiresAt` (epoch seconds). Each store documents its own key prefixes at the top of its file:
 *
 *   APIKEY#<hash>          APIKEY        api-keys.ts    gsi1 TENANT#<t>#APIKEYS / <at>#<hash>, gsi2 APIKEYS / <at>#<hash>
 *   TENANT#<id>            TENANT        tenants.ts     gsi2 TENANTS / <id>
 *   FILE#<id>              FILE          files.ts       gsi1 TENANT#<t>#FILES / <id>, gsi2 FILES#EXPIRING / <at>#<id>
 *   UPLOAD#<id>            UPLOAD        uploads.ts
 *   JOB#<id>               JOB           jobs.ts        gsi1 TENANT#<t>#JOBS / <id>, gsi2 STATUS#<s> / <id>
 *   JOB#<jobId>            EVENT#<id>    events.ts      gsi1 JOB#<jobId>#EVENTS / <seq>#<id>
 *   JOB#<jobId>            METRICS#<n>   events.ts      metrics events' numbers, 50 steps an item
 *   JOB#<jobId>            CKPT#<id>     checkpoints.ts gsi1 JOB#<jobId>#CKPTS / <step>#<id>
 *   MODEL#<id>             MODEL         models.ts      gsi1 OWNER#<tenant|system>#MODELS / <id>
 *   IDEM#<tenant>#<key>    IDEM          idempotency.ts
 *   OUTBOX#<id>            OUTBOX        outbox.ts      gsi2 OUTBOX#pending / <createdAt>#<id>
 *   EVAL#<id>              EVAL          evals.ts       gsi1 TENANT#<t>#EVALS / <id>
 *   EVALRUN#<id>           EVALRUN       evals.ts       gsi1 EVAL#<evalId>#RUNS / <id>, gsi2 EVALRUNS#active / <id>
 *   EVALRUN#<runId>        ITEM#<row>    evals.ts
 *
 * Records are stored as top-level attributes (readable in a console, filterable), plus the keys.
 */
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../errors';
import type { Clock } from '../../ports/clock';
import type { DocumentClient } from './document-client';

/** What every store needs: the document client, the table name, and a clock (expiry checks). */
export interface TableContext {
  doc: DocumentClient;
  table: string;
  clock: Clock;
}

export const nowSeconds = (ctx: TableContext): number => Math.floor(ctx.clock.nowMs() / 1000);

const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'];

/** The record inside an item: the item minus the key attributes (and any `omit`ted ones). */
export function fromItem<T>(item: Record<string, unknown>, omit: string[] = []): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) {
    if (!KEY_ATTRIBUTES.includes(k) && !omit.includes(k)) out[k] = v;
  }
  return out as T;
}

export function isConditionalFailure(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

/** Runs `write`; a failed condition becomes ConflictError (docs/ARCHITECTURE.md, "Errors"). */
export async function conditional<T>(write: () => Promise<T>, message: string): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isConditionalFailure(err)) throw new ConflictError(message, 'conflict', err);
    throw err;
  }
}

/** Runs a put that is idempotent by id: an existing item with that key is kept as it is. */
export async function putIfAbsent(write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (!isConditionalFailure(err)) throw err;
  }
}

/**
 * Queries until `limit` items passed the filter (or the key range ends), so a filtered list
 * still fills its page; one extra item tells whether there is more.
 */
export async function queryPage(
  ctx: TableContext,
  input: Omit<QueryCommandInput, 'TableName' | 'Limit' | 'ExclusiveStartKey'>,
  limit: number,
): Promise<{ items: Record<string, unknown>[]; hasMore: boolean }> {
  const want = limit + 1;
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const pageSize = input.FilterExpression ? Math.max(100, want) : want - items.length;
    const res = await ctx.doc.query({
      ...input,
      TableName: ctx.table,
      Limit: pageSize,
      ExclusiveStartKey: start,
    });
    items.push(...((res.Items ?? []) as Record<string, unknown>[]));
    start = res.LastEvaluatedKey;
  } while (start && items.length < want);
  return { items: items.slice(0, limit), hasMore: items.length > limit };
}

/**
 * The first `limit` items of one gsi2 partition. Sparse partitions on gsi2 hold what a worker
 * must find again (pending outbox messages, active sweeps, active eval runs); an item leaves its
 * partition by dropping its gsi2 keys.
 */
export async function gsi2Partition(
  ctx: TableContext,
  gsi2pk: string,
  limit: number,
): Promise<Record<string, unknown>[]> {
  const { items } = await queryPage(
    ctx,
    { IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :p', ExpressionAttributeValues: { ':p': gsi2pk } },
    limit,
  );
  return items;
}

/**
 * A newest-first page of a gsi1 partition, after the item `after` (its gsi1sk is the cursor):
 * the list shape of events and checkpoints. An unknown cursor has nothing after it.
 */
export async function newestFirstAfter(
  ctx: TableContext,
  gsi1pk: string,
  afterKey: { pk: string; sk: string } | undefined,
  limit: number,
): Promise<{ items: Record<string, unknown>[]; hasMore: boolean }> {
  let cursor: string | undefined;
  if (afterKey) {
    const res = await ctx.doc.get({ TableName: ctx.table, Key: afterKey });
    if (!res.Item) return { items: [], hasMore: false };
    cursor = res.Item.gsi1sk as string;
  }
  return queryPage(
    ctx,
    {
      IndexName: 'gsi1',
      KeyConditionExpression: cursor ? 'gsi1pk = :p AND gsi1sk < :c' : 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': gsi1pk, ...(cursor ? { ':c': cursor } : {}) },
      ScanIndexForward: false,
    },
    limit,
  );
}

/**
 * Marks a tenant's item deleted and takes it out of the tenant's listing (gsi1); another tenant's
 * or a missing item throws `notFound()`.
 */
export async function markDeletedForTenant(
  ctx: TableContext,
  itemKey: { pk: string; sk: string },
  tenantId: string,
  notFound: () => Error,
): Promise<void> {
  try {
    await ctx.doc.update({
      TableName: ctx.table,
      Key: itemKey,
      UpdateExpression: 'SET deleted = :true REMOVE gsi1pk, gsi1sk',
      ConditionExpression: 'attribute_exists(pk) AND tenantId = :t',
      ExpressionAttributeValues: { ':true': true, ':t': tenantId },
    });
  } catch (err) {
    if (isConditionalFailure(err)) throw notFound();
    throw err;
  }
}

/** `SET #a = :a, …` for the defined fields of a patch (undefined fields are left alone). */
export function setExpression(
  patch: Record<string, unknown>,
  prefix = 'f',
): { expr: string; names: Record<string, string>; values: Record<string, unknown> } {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const parts: string[] = [];
  let i = 0;
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    names[`#${prefix}${i}`] = k;
    values[`:${prefix}${i}`] = v;
    parts.push(`#${prefix}${i} = :${prefix}${i}`);
    i++;
  }
  return { expr: parts.join(', '), names, values };
}

/** `metadata.#mk0 = :mv0 AND …`: exact matches on keys of a map attribute. */
export function mapFilter(
  attribute: string,
  match: Record<string, string>,
): { expr: string; names: Record<string, string>; values: Record<string, unknown> } | null {
  const entries = Object.entries(match);
  if (!entries.length) return null;
  const names: Record<string, string> = { '#map': attribute };
  const values: Record<string, unknown> = {};
  const parts = entries.map(([k, v], i) => {
    names[`#mk${i}`] = k;
    values[`:mv${i}`] = v;
    return `#map.#mk${i} = :mv${i}`;
  });
  return { expr: parts.join(' AND '), names, values };
}
