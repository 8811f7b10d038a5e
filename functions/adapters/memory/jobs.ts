/**
 * In-memory job, event and outbox stores with the same contract as the DynamoDB adapter
 * (conditional update on version/status → ConflictError; idempotent puts by id). For fast unit
 * tests of domain logic only; integration tests use the DynamoDB adapter against dynalite.
 */
import { ConflictError } from '../../errors';
import { metricsStep } from '../../domain/lifecycle/metrics-step';
import type {
  JobEventStore,
  JobListFilters,
  JobStore,
  ListOptions,
  MetricsData,
  OutboxStore,
} from '../../ports/store';
import type { JobEventRecord, JobRecord, OutboxRecord, Page } from '../../domain/records';

const clone = <T>(v: T): T => structuredClone(v);

function page<T extends { id: string }>(
  sortedNewestFirst: T[],
  after: string | undefined,
  limit: number,
): Page<T> {
  const start = after ? sortedNewestFirst.findIndex((x) => x.id === after) + 1 : 0;
  const items = start === 0 && after ? [] : sortedNewestFirst.slice(start, start + limit);
  return { items: items.map(clone), hasMore: start + limit < sortedNewestFirst.length };
}

export class MemoryJobStore implements JobStore {
  readonly items = new Map<string, JobRecord>();

  async create(job: JobRecord): Promise<void> {
    if (this.items.has(job.id)) throw new ConflictError(`Job ${job.id} already exists.`);
    this.items.set(job.id, clone(job));
  }

  async getById(id: string): Promise<JobRecord | undefined> {
    const j = this.items.get(id);
    return j && clone(j);
  }

  async get(tenantId: string, id: string): Promise<JobRecord | undefined> {
    const j = this.items.get(id);
    return j && j.tenantId === tenantId ? clone(j) : undefined;
  }

  async list(tenantId: string, opts: ListOptions & JobListFilters): Promise<Page<JobRecord>> {
    const all = [...this.items.values()]
      .filter((j) => j.tenantId === tenantId)
      .filter((j) => !opts.sweepId || j.sweepId === opts.sweepId)
      .filter((j) => (['status', 'model', 'provider'] as const).every((f) => !opts[f] || j[f] === opts[f]))
      .filter((j) => Object.entries(opts.metadata ?? {}).every(([k, v]) => j.metadata?.[k] === v))
      .sort((a, b) => (a.id < b.id ? 1 : -1));
    const rest = opts.after ? all.filter((j) => j.id < opts.after!) : all;
    return { items: rest.slice(0, opts.limit).map(clone), hasMore: rest.length > opts.limit };
  }

  async listByStatus(
    statuses: JobRecord['status'][],
    limit: number,
    opts: { changedSinceMs?: number } = {},
  ): Promise<JobRecord[]> {
    const changedAt = (j: JobRecord) => j.lastTransition?.atMs ?? j.createdAt * 1000;
    return [...this.items.values()]
      .filter((j) => statuses.includes(j.status))
      .filter((j) => opts.changedSinceMs === undefined || changedAt(j) >= opts.changedSinceMs)
      .sort((a, b) => statuses.indexOf(a.status) - statuses.indexOf(b.status) || changedAt(a) - changedAt(b))
      .slice(0, limit)
      .map(clone);
  }

  async update(
    id: string,
    expected: { version: number; status?: JobRecord['status'] },
    patch: Partial<Omit<JobRecord, 'id' | 'tenantId' | 'version'>>,
  ): Promise<JobRecord> {
    const cur = this.items.get(id);
    if (!cur || cur.version !== expected.version || (expected.status && cur.status !== expected.status)) {
      throw new ConflictError(`Job ${id} changed since it was read.`);
    }
    const next = { ...cur, ...clone(patch), version: cur.version + 1 };
    this.items.set(id, next);
    return clone(next);
  }
}

export class MemoryJobEventStore implements JobEventStore {
  /** Insertion order = write order; the first write of an id wins. */
  readonly items: JobEventRecord[] = [];

  async append(event: JobEventRecord): Promise<void> {
    if (!this.items.some((e) => e.id === event.id)) this.items.push(clone(event));
  }

  async appendMany(events: JobEventRecord[]): Promise<void> {
    for (const e of events) await this.append(e);
  }

  async list(jobId: string, opts: { after?: string; limit: number }): Promise<Page<JobEventRecord>> {
    const mine = this.items.filter((e) => e.jobId === jobId).reverse();
    return page(mine, opts.after, opts.limit);
  }

  async metrics(jobId: string, opts: { afterStep?: number; limit: number }) {
    const steps = this.items
      .filter((e) => e.jobId === jobId && e.type === 'metrics' && metricsStep(e) !== undefined)
      .map((e) => clone(e.data) as MetricsData)
      .filter((d) => opts.afterStep === undefined || d.step > opts.afterStep)
      .sort((a, b) => a.step - b.step);
    return { items: steps.slice(0, opts.limit), hasMore: steps.length > opts.limit };
  }
}

export class MemoryOutboxStore implements OutboxStore {
  readonly items = new Map<string, OutboxRecord>();

  async put(entry: OutboxRecord): Promise<void> {
    if (!this.items.has(entry.id)) this.items.set(entry.id, clone(entry));
  }

  async listPending(limit: number): Promise<OutboxRecord[]> {
    return [...this.items.values()]
      .filter((e) => e.status === 'pending')
      .slice(0, limit)
      .map(clone);
  }

  async markDispatched(id: string): Promise<void> {
    const e = this.items.get(id);
    if (e) e.status = 'dispatched';
  }
}
