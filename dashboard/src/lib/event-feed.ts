/**
 * A job's events, complete and in order. The API lists events newest first and pages to older
 * ones with `after`; the first load pages back to the beginning, and each poll reads from the
 * newest until it meets an event it already has (paging on with `after` if more than a page is new).
 */
import type { FineTuningJobEvent } from '../../../openapi/sdk/types.gen';
import { listFineTuningJobEvents } from '../../../openapi/sdk/sdk.gen';
import { api, unwrap } from './api';

const PAGE = 1000;

export class EventFeed {
  /** Oldest first. */
  readonly events: FineTuningJobEvent[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly jobId: string) {}

  private page(after?: string) {
    return unwrap(
      listFineTuningJobEvents({
        client: api(),
        path: { fine_tuning_job_id: this.jobId },
        query: { limit: PAGE, after },
      }),
    );
  }

  /**
   * Reads what is new since the last call; returns the new events, oldest first. `onPage` sees
   * what has arrived so far while more pages follow (the first load of a long job), so the page
   * can draw the newest points before the oldest have arrived.
   */
  async update(onPage?: (soFar: FineTuningJobEvent[]) => void): Promise<FineTuningJobEvent[]> {
    const fresh: FineTuningJobEvent[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.page(after);
      let metKnown = false;
      for (const e of page.data) {
        if (this.seen.has(e.id)) {
          metKnown = true;
          break;
        }
        fresh.push(e);
      }
      if (metKnown || !page.has_more || !page.last_id) break;
      onPage?.([...this.events, ...[...fresh].reverse()]);
      after = page.last_id;
    }
    fresh.reverse();
    for (const e of fresh) {
      this.seen.add(e.id);
      this.events.push(e);
    }
    return fresh;
  }
}

/** One metrics event's numbers, as the trainer reports them (`step`, `train_loss`, `lr`, …). */
export type MetricsPoint = Record<string, number>;

export function metricsOf(events: FineTuningJobEvent[]): MetricsPoint[] {
  const byStep = new Map<number, MetricsPoint>();
  for (const e of events) {
    if (e.type !== 'metrics' || !e.data) continue;
    const p: MetricsPoint = {};
    for (const [k, v] of Object.entries(e.data)) if (typeof v === 'number') p[k] = v;
    if (typeof p.step === 'number') byStep.set(p.step, { ...byStep.get(p.step), ...p });
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}
