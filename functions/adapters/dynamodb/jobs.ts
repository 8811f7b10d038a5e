/**
 * Jobs in the single table.
 *
 *   pk JOB#<id>   sk JOB
 *   gsi1pk TENANT#<tenant>#JOBS   gsi1sk <id>      tenant listing; ids sort by time → newest first
 *   gsi2pk STATUS#<status>        gsi2sk <ms of the status change, 15 digits>#<id>
 *                                                  reconcilers' by-status listing (across tenants),
 *                                                  longest in the status first, or changed since T
 *
 * Every update is conditional on the stored `version` (and `status` when given) and bumps the
 * version; a failed condition is a ConflictError.
 */
import type { JobRecord, JobStatus, Page, TenantId } from '../../domain/records';
import type { JobListFilters, JobStore, ListOptions } from '../../ports/store';
import { conditional, fromItem, mapFilter, queryPage, setExpression, type TableContext } from './table';

const key = (id: string) => ({ pk: `JOB#${id}`, sk: 'JOB' });
const statusIndex = (status: JobStatus) => `STATUS#${status}`;
const statusSince = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(15, '0');

export class DynamoJobStore implements JobStore {
  constructor(private readonly ctx: TableContext) {}

  async create(job: JobRecord): Promise<void> {
    await conditional(
      () =>
        this.ctx.doc.put({
          TableName: this.ctx.table,
          Item: {
            ...job,
            ...key(job.id),
            gsi1pk: `TENANT#${job.tenantId}#JOBS`,
            gsi1sk: job.id,
            gsi2pk: statusIndex(job.status),
            gsi2sk: `${statusSince(job.lastTransition?.atMs ?? job.createdAt * 1000)}#${job.id}`,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      `Job ${job.id} already exists.`,
    );
  }

  async getById(id: string): Promise<JobRecord | undefined> {
    const res = await this.ctx.doc.get({ TableName: this.ctx.table, Key: key(id), ConsistentRead: true });
    return res.Item ? fromItem<JobRecord>(res.Item) : undefined;
  }

  async get(tenantId: TenantId, id: string): Promise<JobRecord | undefined> {
    const job = await this.getById(id);
    return job?.tenantId === tenantId ? job : undefined;
  }

  async list(tenantId: TenantId, opts: ListOptions & JobListFilters): Promise<Page<JobRecord>> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':p': `TENANT#${tenantId}#JOBS` };
    const filters: string[] = [];
    const meta = mapFilter('metadata', opts.metadata ?? {});
    if (meta) {
      filters.push(meta.expr);
      Object.assign(names, meta.names);
      Object.assign(values, meta.values);
    }
    if (opts.sweepId) {
      filters.push('sweepId = :sweep');
      values[':sweep'] = opts.sweepId;
    }
    for (const field of ['status', 'model', 'provider'] as const) {
      if (opts[field] === undefined) continue;
      filters.push(`#f_${field} = :f_${field}`);
      names[`#f_${field}`] = field;
      values[`:f_${field}`] = opts[field];
    }
    if (opts.after) values[':after'] = opts.after;
    const { items, hasMore } = await queryPage(
      this.ctx,
      {
        IndexName: 'gsi1',
        KeyConditionExpression: opts.after ? 'gsi1pk = :p AND gsi1sk < :after' : 'gsi1pk = :p',
        FilterExpression: filters.length ? filters.join(' AND ') : undefined,
        ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
      },
      opts.limit,
    );
    return { items: items.map((i) => fromItem<JobRecord>(i)), hasMore };
  }

  async listByStatus(
    statuses: JobStatus[],
    limit: number,
    opts: { changedSinceMs?: number } = {},
  ): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    const since = opts.changedSinceMs !== undefined ? statusSince(opts.changedSinceMs) : undefined;
    for (const status of statuses) {
      let start: Record<string, unknown> | undefined;
      do {
        const res = await this.ctx.doc.query({
          TableName: this.ctx.table,
          IndexName: 'gsi2',
          KeyConditionExpression: since ? 'gsi2pk = :s AND gsi2sk >= :since' : 'gsi2pk = :s',
          ExpressionAttributeValues: { ':s': statusIndex(status), ...(since ? { ':since': since } : {}) },
          Limit: limit - out.length,
          ExclusiveStartKey: start,
        });
        for (const item of res.Items ?? []) out.push(fromItem<JobRecord>(item));
        start = res.LastEvaluatedKey;
      } while (start && out.length < limit);
      if (out.length >= limit) break;
    }
    return out.slice(0, limit);
  }

  async update(
    id: string,
    expected: { version: number; status?: JobStatus },
    patch: Partial<Omit<JobRecord, 'id' | 'tenantId' | 'version'>>,
  ): Promise<JobRecord> {
    const fields: Record<string, unknown> = { ...patch };
    delete (fields as { id?: unknown }).id;
    delete (fields as { tenantId?: unknown }).tenantId;
    delete (fields as { version?: unknown }).version;
    if (patch.status) {
      fields.gsi2pk = statusIndex(patch.status);
      fields.gsi2sk = `${statusSince(patch.lastTransition?.atMs ?? this.ctx.clock.nowMs())}#${id}`;
    }
    const set = setExpression(fields);
    const conditions = ['attribute_exists(pk)', '#version = :expectedVersion'];
    const values: Record<string, unknown> = {
      ...set.values,
      ':expectedVersion': expected.version,
      ':one': 1,
    };
    const names: Record<string, string> = { ...set.names, '#version': 'version' };
    if (expected.status) {
      conditions.push('#status = :expectedStatus');
      names['#status'] = 'status';
      values[':expectedStatus'] = expected.status;
    }
    const res = await conditional(
      () =>
        this.ctx.doc.update({
          TableName: this.ctx.table,
          Key: key(id),
          UpdateExpression: `SET ${set.expr ? `${set.expr}, ` : ''}#version = #version + :one`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      `Job ${id} changed since it was read (expected version ${expected.version}${
        expected.status ? `, status ${expected.status}` : ''
      }).`,
    );
    return fromItem<JobRecord>(res.Attributes!);
  }
}
