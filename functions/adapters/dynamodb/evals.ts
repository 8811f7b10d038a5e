/**
 * Evals, eval runs and output items in the single table.
 *
 *   pk EVAL#<id>         sk EVAL          gsi1pk TENANT#<tenant>#EVALS / gsi1sk <id>    tenant listing (removed on delete)
 *   pk EVALRUN#<id>      sk EVALRUN       gsi1pk EVAL#<evalId>#RUNS / gsi1sk <id>       the eval's runs (removed on delete)
 *                                         gsi2pk EVALRUNS#active / gsi2sk <id>           while queued or in progress
 *   pk EVALRUN#<runId>   sk ITEM#<row, 8 digits>                                         output items, by row
 *
 * Run updates are conditional on the stored `version` (and status when given) and bump it; a
 * failed condition is a ConflictError. Output items are put-if-absent.
 */
import { ConflictError, NotFoundError } from '../../errors';
import type {
  EvalListOptions,
  EvalRecord,
  EvalRunPatch,
  EvalRunRecord,
  EvalRunStatus,
  EvalStore,
  OutputItemRecord,
} from '../../ports/evals';
import type { Page, TenantId } from '../../domain/records';
import {
  conditional,
  fromItem,
  isConditionalFailure,
  gsi2Partition,
  queryPage,
  setExpression,
  type TableContext,
} from './table';

const evalKey = (id: string) => ({ pk: `EVAL#${id}`, sk: 'EVAL' });
const runKey = (id: string) => ({ pk: `EVALRUN#${id}`, sk: 'EVALRUN' });
const itemSk = (index: number) => `ITEM#${String(index).padStart(8, '0')}`;
const ACTIVE = 'EVALRUNS#active';
const isActive = (s: EvalRunStatus) => s === 'queued' || s === 'in_progress';

export class DynamoEvalStore implements EvalStore {
  constructor(private readonly ctx: TableContext) {}

  async createEval(record: EvalRecord): Promise<void> {
    await conditional(
      () =>
        this.ctx.doc.put({
          TableName: this.ctx.table,
          Item: {
            ...record,
            ...evalKey(record.id),
            gsi1pk: `TENANT#${record.tenantId}#EVALS`,
            gsi1sk: record.id,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      `Eval ${record.id} already exists.`,
    );
  }

  async getEval(tenantId: TenantId, id: string): Promise<EvalRecord | undefined> {
    const res = await this.ctx.doc.get({ TableName: this.ctx.table, Key: evalKey(id), ConsistentRead: true });
    const e = res.Item ? fromItem<EvalRecord>(res.Item) : undefined;
    return e && e.tenantId === tenantId && !e.deleted ? e : undefined;
  }

  async listEvals(tenantId: TenantId, opts: EvalListOptions): Promise<Page<EvalRecord>> {
    return this.page(`TENANT#${tenantId}#EVALS`, opts, (i) => fromItem<EvalRecord>(i));
  }

  async updateEval(tenantId: TenantId, id: string, patch: Partial<EvalRecord>): Promise<EvalRecord> {
    const fields: Record<string, unknown> = { ...patch };
    for (const k of ['id', 'tenantId']) delete fields[k];
    const set = setExpression(fields);
    const remove = patch.deleted ? ' REMOVE gsi1pk, gsi1sk' : '';
    try {
      const res = await this.ctx.doc.update({
        TableName: this.ctx.table,
        Key: evalKey(id),
        UpdateExpression: `SET ${set.expr}${remove}`,
        ConditionExpression: 'attribute_exists(pk) AND tenantId = :t',
        ExpressionAttributeNames: set.names,
        ExpressionAttributeValues: { ...set.values, ':t': tenantId },
        ReturnValues: 'ALL_NEW',
      });
      return fromItem<EvalRecord>(res.Attributes as Record<string, unknown>);
    } catch (err) {
      if (isConditionalFailure(err)) throw new NotFoundError('eval', id, 'eval_id');
      throw err;
    }
  }

  async createRun(run: EvalRunRecord): Promise<void> {
    await conditional(
      () =>
        this.ctx.doc.put({
          TableName: this.ctx.table,
          Item: {
            ...run,
            ...runKey(run.id),
            gsi1pk: `EVAL#${run.evalId}#RUNS`,
            gsi1sk: run.id,
            ...(isActive(run.status) ? { gsi2pk: ACTIVE, gsi2sk: run.id } : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      `Eval run ${run.id} already exists.`,
    );
  }

  async getRunById(id: string): Promise<EvalRunRecord | undefined> {
    const res = await this.ctx.doc.get({ TableName: this.ctx.table, Key: runKey(id), ConsistentRead: true });
    return res.Item ? fromItem<EvalRunRecord>(res.Item) : undefined;
  }

  async listRuns(
    evalId: string,
    opts: EvalListOptions & { status?: EvalRunStatus },
  ): Promise<Page<EvalRunRecord>> {
    return this.page(`EVAL#${evalId}#RUNS`, opts, (i) => fromItem<EvalRunRecord>(i), opts.status);
  }

  async listActiveRuns(limit: number): Promise<EvalRunRecord[]> {
    const items = await gsi2Partition(this.ctx, ACTIVE, limit);
    return items.map((i) => fromItem<EvalRunRecord>(i));
  }

  async updateRun(
    id: string,
    expected: { version: number; status?: EvalRunStatus },
    patch: EvalRunPatch,
  ): Promise<EvalRunRecord> {
    const fields: Record<string, unknown> = { ...patch };
    for (const k of ['id', 'evalId', 'tenantId', 'version']) delete fields[k];
    const remove: string[] = [];
    if (patch.status && !isActive(patch.status)) remove.push('gsi2pk', 'gsi2sk');
    if (patch.deleted) remove.push('gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk');
    // A null lease is stored as null (a plain attribute), not removed: the record keeps its shape.
    const set = setExpression(fields);
    const names: Record<string, string> = { '#version': 'version', ...set.names };
    const values: Record<string, unknown> = {
      ':expectedVersion': expected.version,
      ':one': 1,
      ...set.values,
    };
    const conditions = ['attribute_exists(pk)', '#version = :expectedVersion'];
    if (expected.status) {
      conditions.push('#status = :expectedStatus');
      names['#status'] = 'status';
      values[':expectedStatus'] = expected.status;
    }
    const removeNames = [...new Set(remove)].map((r, i) => {
      names[`#r${i}`] = r;
      return `#r${i}`;
    });
    const res = await conditional(
      () =>
        this.ctx.doc.update({
          TableName: this.ctx.table,
          Key: runKey(id),
          UpdateExpression: `SET ${set.expr ? `${set.expr}, ` : ''}#version = #version + :one${removeNames.length ? ` REMOVE ${removeNames.join(', ')}` : ''}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      `Eval run ${id} changed since it was read (expected version ${expected.version}).`,
    );
    return fromItem<EvalRunRecord>(res.Attributes as Record<string, unknown>);
  }

  async putOutputItemIfAbsent(item: OutputItemRecord): Promise<OutputItemRecord> {
    try {
      await this.ctx.doc.put({
        TableName: this.ctx.table,
        Item: { ...item, pk: `EVALRUN#${item.run_id}`, sk: itemSk(item.datasource_item_id) },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      return item;
    } catch (err) {
      if (!isConditionalFailure(err)) throw err;
      const existing = await this.getOutputItem(item.run_id, item.datasource_item_id);
      if (!existing) throw new ConflictError(`Output item ${item.id} vanished.`);
      return existing;
    }
  }

  async getOutputItem(runId: string, index: number): Promise<OutputItemRecord | undefined> {
    const res = await this.ctx.doc.get({
      TableName: this.ctx.table,
      Key: { pk: `EVALRUN#${runId}`, sk: itemSk(index) },
      ConsistentRead: true,
    });
    return res.Item ? fromItem<OutputItemRecord>(res.Item) : undefined;
  }

  async listOutputItems(
    runId: string,
    opts: { afterIndex?: number; limit: number; order: 'asc' | 'desc'; status?: 'pass' | 'fail' },
  ): Promise<Page<OutputItemRecord>> {
    const values: Record<string, unknown> = { ':p': `EVALRUN#${runId}` };
    let key: string;
    if (opts.afterIndex === undefined) {
      key = 'pk = :p AND begins_with(sk, :item)';
      values[':item'] = 'ITEM#';
    } else if (opts.order === 'asc') {
      key = 'pk = :p AND sk > :after';
      values[':after'] = itemSk(opts.afterIndex);
    } else {
      key = 'pk = :p AND sk BETWEEN :item AND :before';
      values[':item'] = 'ITEM#';
      values[':before'] = itemSk(opts.afterIndex - 1);
      if (opts.afterIndex === 0) return { items: [], hasMore: false };
    }
    const filter = opts.status
      ? { FilterExpression: '#status = :s', ExpressionAttributeNames: { '#status': 'status' } }
      : {};
    if (opts.status) values[':s'] = opts.status;
    const { items, hasMore } = await queryPage(
      this.ctx,
      {
        KeyConditionExpression: key,
        ExpressionAttributeValues: values,
        ScanIndexForward: opts.order === 'asc',
        ConsistentRead: true,
        ...filter,
      },
      opts.limit,
    );
    return { items: items.map((i) => fromItem<OutputItemRecord>(i)), hasMore };
  }

  private async page<T>(
    gsi1pk: string,
    opts: EvalListOptions,
    map: (i: Record<string, unknown>) => T,
    status?: string,
  ): Promise<Page<T>> {
    const values: Record<string, unknown> = { ':p': gsi1pk };
    let key = 'gsi1pk = :p';
    if (opts.after) {
      key += opts.order === 'asc' ? ' AND gsi1sk > :after' : ' AND gsi1sk < :after';
      values[':after'] = opts.after;
    }
    const filter = status
      ? { FilterExpression: '#status = :s', ExpressionAttributeNames: { '#status': 'status' } }
      : {};
    if (status) values[':s'] = status;
    const { items, hasMore } = await queryPage(
      this.ctx,
      {
        IndexName: 'gsi1',
        KeyConditionExpression: key,
        ExpressionAttributeValues: values,
        ScanIndexForward: opts.order === 'asc',
        ...filter,
      },
      opts.limit,
    );
    return { items: items.map(map), hasMore };
  }
}
