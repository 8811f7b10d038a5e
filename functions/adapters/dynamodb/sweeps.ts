/**
 * Sweeps and their trials in the single table.
 *
 *   pk SWEEP#<id>   sk SWEEP                gsi1pk TENANT#<tenant>#SWEEPS / gsi1sk <id>   tenant listing, newest first
 *                                           gsi2pk SWEEPS#active / gsi2sk <id>             until the sweep is final and settled
 *   pk SWEEP#<id>   sk TRIAL#<number, 6 digits>                                             the sweep's trials by number
 *
 * Sweep and trial updates are conditional on the stored `version` and bump it; a failed condition
 * is a ConflictError (as for jobs).
 */
import type { Page, TenantId } from '../../domain/records';
import type { ListOptions } from '../../ports/store';
import type {
  SweepPatch,
  SweepRecord,
  SweepStatus,
  SweepStore,
  TrialPatch,
  TrialRecord,
} from '../../ports/sweeps';
import { conditional, fromItem, gsi2Partition, queryPage, setExpression, type TableContext } from './table';

const sweepKey = (id: string) => ({ pk: `SWEEP#${id}`, sk: 'SWEEP' });
const trialKey = (sweepId: string, n: number) => ({
  pk: `SWEEP#${sweepId}`,
  sk: `TRIAL#${String(n).padStart(6, '0')}`,
});
const ACTIVE = 'SWEEPS#active';
const isActive = (s: SweepStatus) => s === 'running' || s === 'paused';

export class DynamoSweepStore implements SweepStore {
  constructor(private readonly ctx: TableContext) {}

  async create(sweep: SweepRecord): Promise<void> {
    await conditional(
      () =>
        this.ctx.doc.put({
          TableName: this.ctx.table,
          Item: {
            ...sweep,
            ...sweepKey(sweep.id),
            gsi1pk: `TENANT#${sweep.tenantId}#SWEEPS`,
            gsi1sk: sweep.id,
            ...(!sweep.settled ? { gsi2pk: ACTIVE, gsi2sk: sweep.id } : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      `Sweep ${sweep.id} already exists.`,
    );
  }

  async getById(id: string): Promise<SweepRecord | undefined> {
    const res = await this.ctx.doc.get({
      TableName: this.ctx.table,
      Key: sweepKey(id),
      ConsistentRead: true,
    });
    return res.Item ? fromItem<SweepRecord>(res.Item) : undefined;
  }

  async get(tenantId: TenantId, id: string): Promise<SweepRecord | undefined> {
    const sweep = await this.getById(id);
    return sweep?.tenantId === tenantId ? sweep : undefined;
  }

  async list(tenantId: TenantId, opts: ListOptions): Promise<Page<SweepRecord>> {
    const values: Record<string, unknown> = { ':p': `TENANT#${tenantId}#SWEEPS` };
    if (opts.after) values[':after'] = opts.after;
    const { items, hasMore } = await queryPage(
      this.ctx,
      {
        IndexName: 'gsi1',
        KeyConditionExpression: opts.after ? 'gsi1pk = :p AND gsi1sk < :after' : 'gsi1pk = :p',
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
      },
      opts.limit,
    );
    return { items: items.map((i) => fromItem<SweepRecord>(i)), hasMore };
  }

  async listActive(limit: number): Promise<SweepRecord[]> {
    const items = await gsi2Partition(this.ctx, ACTIVE, limit);
    return items.map((item) => fromItem<SweepRecord>(item));
  }

  async update(
    id: string,
    expected: { version: number; status?: SweepStatus },
    patch: SweepPatch,
  ): Promise<SweepRecord> {
    const fields: Record<string, unknown> = { ...patch };
    for (const k of ['id', 'tenantId', 'version']) delete fields[k];
    const remove: string[] = [];
    // A final sweep leaves the active listing only once settled (its follow-ups done).
    if (patch.settled === true) remove.push('gsi2pk', 'gsi2sk');
    else if (patch.status && isActive(patch.status)) Object.assign(fields, { gsi2pk: ACTIVE, gsi2sk: id });
    const conditions = ['attribute_exists(pk)', '#version = :expectedVersion'];
    const extra: Record<string, unknown> = { ':expectedVersion': expected.version };
    const names: Record<string, string> = { '#version': 'version' };
    if (expected.status) {
      conditions.push('#status = :expectedStatus');
      names['#status'] = 'status';
      extra[':expectedStatus'] = expected.status;
    }
    const item = await this.versioned(
      sweepKey(id),
      fields,
      remove,
      conditions,
      names,
      extra,
      `Sweep ${id} changed since it was read (expected version ${expected.version}).`,
    );
    return fromItem<SweepRecord>(item);
  }

  async createTrial(trial: TrialRecord): Promise<void> {
    await conditional(
      () =>
        this.ctx.doc.put({
          TableName: this.ctx.table,
          Item: { ...trial, ...trialKey(trial.sweepId, trial.number) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      `Trial ${trial.number} of sweep ${trial.sweepId} already exists.`,
    );
  }

  async listTrials(sweepId: string): Promise<TrialRecord[]> {
    const out: TrialRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.ctx.doc.query({
        TableName: this.ctx.table,
        KeyConditionExpression: 'pk = :p AND begins_with(sk, :t)',
        ExpressionAttributeValues: { ':p': `SWEEP#${sweepId}`, ':t': 'TRIAL#' },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      });
      out.push(...(res.Items ?? []).map((i) => fromItem<TrialRecord>(i)));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async updateTrial(
    sweepId: string,
    number: number,
    expectedVersion: number,
    patch: TrialPatch,
  ): Promise<TrialRecord> {
    const fields: Record<string, unknown> = { ...patch };
    for (const k of ['sweepId', 'tenantId', 'number', 'version']) delete fields[k];
    const item = await this.versioned(
      trialKey(sweepId, number),
      fields,
      [],
      ['attribute_exists(pk)', '#version = :expectedVersion'],
      { '#version': 'version' },
      { ':expectedVersion': expectedVersion },
      `Trial ${number} of sweep ${sweepId} changed since it was read (expected version ${expectedVersion}).`,
    );
    return fromItem<TrialRecord>(item);
  }

  private async versioned(
    key: Record<string, string>,
    fields: Record<string, unknown>,
    remove: string[],
    conditions: string[],
    names: Record<string, string>,
    values: Record<string, unknown>,
    message: string,
  ): Promise<Record<string, unknown>> {
    const set = setExpression(fields);
    const removeNames = remove.map((r, i) => {
      names[`#r${i}`] = r;
      return `#r${i}`;
    });
    const update = `SET ${set.expr ? `${set.expr}, ` : ''}#version = #version + :one${removeNames.length ? ` REMOVE ${removeNames.join(', ')}` : ''}`;
    const res = await conditional(
      () =>
        this.ctx.doc.update({
          TableName: this.ctx.table,
          Key: key,
          UpdateExpression: update,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: { ...names, ...set.names },
          ExpressionAttributeValues: { ...values, ...set.values, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      message,
    );
    return res.Attributes as Record<string, unknown>;
  }
}
