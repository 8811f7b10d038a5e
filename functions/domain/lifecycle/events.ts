/**
 * Job events (`fine_tuning.job.event`): messages and metrics, with ids derived from what they
 * record, so a retried write (runner restart, duplicated Batch event, re-run follow-up) lands on
 * the same item instead of adding a second one.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../../ports/clock';
import type { JobEventStore } from '../../ports/store';
import type { JobEventRecord, JobRecord } from '../records';

export interface EventDeps {
  stores: { events: JobEventStore };
  clock: Clock;
}

/** `ftevent-` + 24 hex characters of sha256 over the parts: the same parts give the same id. */
export function deterministicEventId(...parts: (string | number)[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `ftevent-${h.slice(0, 24)}`;
}

export interface AppendEventInput {
  message: string;
  level?: JobEventRecord['level'];
  type?: JobEventRecord['type'];
  data?: Record<string, unknown> | null;
  /**
   * What makes this event unique within the job (e.g. `checkpoint:ftckpt-…`). Repeating a write
   * with the same key is a no-op. Without it every call records a new event.
   */
  dedupeKey?: string;
  createdAt?: number;
}

export async function appendJobEvent(
  deps: EventDeps,
  job: Pick<JobRecord, 'id' | 'tenantId'>,
  input: AppendEventInput,
): Promise<JobEventRecord> {
  const event: JobEventRecord = {
    id: deterministicEventId(job.id, 'message', input.dedupeKey ?? randomUUID()),
    jobId: job.id,
    tenantId: job.tenantId,
    createdAt: input.createdAt ?? Math.floor(deps.clock.nowMs() / 1000),
    level: input.level ?? 'info',
    message: input.message,
    type: input.type ?? 'message',
    data: input.data ?? null,
  };
  await deps.stores.events.append(event);
  return event;
}

/** A metrics point; names follow OpenAI's (`train_loss`, `valid_loss`, …) plus ours (`lr`, …). */
export interface MetricsPoint {
  step: number;
  totalSteps?: number;
  [name: string]: number | undefined;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(5).replace(/\.?0+$/, '');
}

/** OpenAI-style message: "Step 12/100: training loss=1.234, validation loss=1.5" (and DPO's reward figures). */
function metricsMessage(p: MetricsPoint): string {
  const labels: [string, string][] = [
    ['train_loss', 'training loss'],
    ['valid_loss', 'validation loss'],
    ['full_valid_loss', 'full validation loss'],
    ['accuracy', 'accuracy'],
    // DPO: how often the preferred answer gets the higher implicit reward, and by how much
    ['train_rewards_accuracy', 'reward accuracy'],
    ['train_rewards_margin', 'reward margin'],
    ['valid_rewards_accuracy', 'validation reward accuracy'],
    ['valid_rewards_margin', 'validation reward margin'],
  ];
  const parts = labels
    .filter(([k]) => typeof p[k] === 'number')
    .map(([k, label]) => `${label}=${fmt(p[k]!)}`);
  const step = p.totalSteps ? `${p.step}/${p.totalSteps}` : `${p.step}`;
  return parts.length ? `Step ${step}: ${parts.join(', ')}` : `Step ${step}`;
}

/**
 * Records one metrics event per (job, step): a resumed attempt that replays a step overwrites
 * nothing and adds nothing. `data` is `{step, train_loss, …}` as OpenAI's metrics events carry.
 */
export async function recordMetrics(
  deps: EventDeps,
  job: Pick<JobRecord, 'id' | 'tenantId'>,
  point: MetricsPoint,
): Promise<JobEventRecord> {
  const event = metricsEvent(deps, job, point);
  await deps.stores.events.append(event);
  return event;
}

/** `recordMetrics` for several steps in one store call (a runner reporting faster than it writes). */
export async function recordMetricsBatch(
  deps: EventDeps,
  job: Pick<JobRecord, 'id' | 'tenantId'>,
  points: MetricsPoint[],
): Promise<JobEventRecord[]> {
  const events = points.map((p) => metricsEvent(deps, job, p));
  await deps.stores.events.appendMany(events);
  return events;
}

function metricsEvent(
  deps: EventDeps,
  job: Pick<JobRecord, 'id' | 'tenantId'>,
  point: MetricsPoint,
): JobEventRecord {
  if (!Number.isInteger(point.step) || point.step < 0) {
    throw new RangeError(`metrics step must be a non-negative integer, got ${point.step}`);
  }
  const data: Record<string, number> = {};
  for (const [k, v] of Object.entries(point)) {
    if (typeof v === 'number' && Number.isFinite(v)) data[k === 'totalSteps' ? 'total_steps' : k] = v;
  }
  return {
    id: deterministicEventId(job.id, 'metrics', point.step),
    jobId: job.id,
    tenantId: job.tenantId,
    createdAt: Math.floor(deps.clock.nowMs() / 1000),
    level: 'info',
    message: metricsMessage(point),
    type: 'metrics',
    data,
  };
}
