/**
 * Job events in the single table, next to their job.
 *
 *   pk JOB#<jobId>   sk EVENT#<id>                    the id is deterministic (domain/lifecycle),
 *                                                     so a put of an existing id is a no-op
 *   gsi1pk JOB#<jobId>#EVENTS   gsi1sk <seq>#<id>     order of first write, newest first
 *   pk JOB#<jobId>   sk METRICS#<step / 50, 8 digits>  the numbers of metrics events, 50 steps an
 *                                                     item, one attribute `s<step>` each holding
 *                                                     the event's `data` as JSON (first write wins)
 *
 * The metrics items serve the metrics columns (`GET …/metrics`): a 10,000-step chart reads 200
 * items of 50 strings instead of 10,000 event items of ~20 attributes each, 4–6x faster on
 * dynalite. Strings, not maps: parsing attribute values is what the read spends its time on. Each
 * step is its own attribute so a report is one idempotent update (`if_not_exists`), no
 * read-modify-write; 50 steps keep an item near 15 KB, which bounds what each update is billed.
 *
 * Event ids are hashes (they must be reproducible by a retry), so they do not sort by time; the
 * order comes from `seq`, microseconds of the first write, made strictly increasing per process.
 */
import type { JobEventRecord, Page } from '../../domain/records';
import { metricsStep } from '../../domain/lifecycle/metrics-step';
import type { JobEventStore, ListOptions, MetricsData } from '../../ports/store';
import { fromItem, newestFirstAfter, putIfAbsent, type TableContext } from './table';

let lastSeq = 0;
/** 16 digits of microseconds since the epoch, strictly increasing within this process. */
export function nextSeq(nowMs: number): string {
  lastSeq = Math.max(nowMs * 1000, lastSeq + 1);
  return String(lastSeq).padStart(16, '0');
}

export class DynamoJobEventStore implements JobEventStore {
  constructor(private readonly ctx: TableContext) {}

  async append(event: JobEventRecord): Promise<void> {
    await this.appendMany([event]);
  }

  /**
   * A chunk's steps go in one update (`SET s1 = if_not_exists(s1, :v0), s2 = …`); the event items
   * are written side by side, their `seq` taken in the given order.
   */
  async appendMany(events: JobEventRecord[]): Promise<void> {
    for (let i = 0; i < events.length; i += WRITES_AT_ONCE) {
      const some = events.slice(i, i + WRITES_AT_ONCE);
      await Promise.all([...this.columnUpdates(some), ...some.map((e) => this.putEvent(e))]);
    }
  }

  private columnUpdates(events: JobEventRecord[]): Promise<unknown>[] {
    const items = new Map<string, { jobId: string; chunk: number; steps: Map<number, string> }>();
    for (const event of events) {
      const step = metricsStep(event);
      if (step === undefined) continue;
      const chunk = Math.floor(step / STEPS_PER_ITEM);
      const key = `${event.jobId}#${chunk}`;
      const item = items.get(key) ?? { jobId: event.jobId, chunk, steps: new Map<number, string>() };
      // The first of a repeated step wins, as it does across writes.
      if (!item.steps.has(step)) item.steps.set(step, JSON.stringify(event.data));
      items.set(key, item);
    }
    return [...items.values()].map(({ jobId, chunk, steps }) => {
      const names: Record<string, string> = {};
      const values: Record<string, string> = {};
      const sets = [...steps].map(([step, json], i) => {
        names[`#s${i}`] = `s${step}`;
        values[`:v${i}`] = json;
        return `#s${i} = if_not_exists(#s${i}, :v${i})`;
      });
      return this.ctx.doc.update({
        TableName: this.ctx.table,
        Key: { pk: `JOB#${jobId}`, sk: metricsKey(chunk) },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      });
    });
  }

  private putEvent(event: JobEventRecord): Promise<void> {
    return putIfAbsent(() =>
      this.ctx.doc.put({
        TableName: this.ctx.table,
        Item: {
          ...event,
          pk: `JOB#${event.jobId}`,
          sk: `EVENT#${event.id}`,
          gsi1pk: `JOB#${event.jobId}#EVENTS`,
          // Wall clock, not ctx.clock: the order of writes, even when tests freeze time.
          gsi1sk: `${nextSeq(Date.now())}#${event.id}`,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async list(jobId: string, opts: ListOptions): Promise<Page<JobEventRecord>> {
    const after = opts.after ? { pk: `JOB#${jobId}`, sk: `EVENT#${opts.after}` } : undefined;
    const { items, hasMore } = await newestFirstAfter(this.ctx, `JOB#${jobId}#EVENTS`, after, opts.limit);
    return { items: items.map((i) => fromItem<JobEventRecord>(i)), hasMore };
  }

  async metrics(jobId: string, opts: { afterStep?: number; limit: number }) {
    const first = opts.afterStep === undefined ? 0 : opts.afterStep + 1;
    const items: MetricsData[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.ctx.doc.query({
        TableName: this.ctx.table,
        KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':p': `JOB#${jobId}`,
          ':from': metricsKey(Math.floor(first / STEPS_PER_ITEM)),
          ':to': `${METRICS}~`,
        },
        ExclusiveStartKey: start,
      });
      for (const item of res.Items ?? []) {
        const points: MetricsData[] = [];
        for (const [k, v] of Object.entries(item)) {
          if (k[0] !== 's' || k === 'sk' || typeof v !== 'string') continue;
          const step = Number(k.slice(1));
          if (Number.isInteger(step) && step >= first) points.push(JSON.parse(v) as MetricsData);
        }
        items.push(...points.sort((a, b) => a.step - b.step));
      }
      start = res.LastEvaluatedKey;
    } while (start && items.length <= opts.limit);
    return { items: items.slice(0, opts.limit), hasMore: items.length > opts.limit };
  }
}

const METRICS = 'METRICS#';
const STEPS_PER_ITEM = 50;
/** Requests of one batch in flight at once. */
const WRITES_AT_ONCE = 25;
const metricsKey = (chunk: number) => `${METRICS}${String(chunk).padStart(8, '0')}`;
