/**
 * A job's newest events, for the page's event list (the charts read the metrics columns instead).
 * The API lists events newest first and pages to older ones with `after`: the first load reads one
 * page, each poll reads from the newest until it meets an event it already has, and `older()`
 * reads the page before the oldest one shown.
 */
import type { FineTuningJobEvent } from '../../../openapi/sdk/types.gen';
import { listFineTuningJobEvents } from '../../../openapi/sdk/sdk.gen';
import { api, unwrap } from './api';

const PAGE = 100;

export class EventFeed {
  /** Oldest first. */
  readonly events: FineTuningJobEvent[] = [];
  /** Older events exist than the oldest one read. */
  hasOlder = false;
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

  /** Reads what is new since the last call; returns how many events arrived. */
  async update(): Promise<number> {
    const first = this.events.length === 0;
    const fresh: FineTuningJobEvent[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.page(after);
      if (first) this.hasOlder = page.has_more;
      let metKnown = false;
      for (const e of page.data) {
        if (this.seen.has(e.id)) {
          metKnown = true;
          break;
        }
        fresh.push(e);
      }
      // The first load shows one page; later polls page on only while everything is new.
      if (first || metKnown || !page.has_more || !page.last_id) break;
      after = page.last_id;
    }
    fresh.reverse();
    for (const e of fresh) {
      this.seen.add(e.id);
      this.events.push(e);
    }
    return fresh.length;
  }

  /** Reads the page of events before the oldest one held; returns how many arrived. */
  async older(): Promise<number> {
    const oldest = this.events[0];
    if (!oldest) return this.update();
    const page = await this.page(oldest.id);
    this.hasOlder = page.has_more;
    const add = page.data.filter((e) => !this.seen.has(e.id)).reverse();
    add.forEach((e) => this.seen.add(e.id));
    this.events.unshift(...add);
    return add.length;
  }
}
