/** Jobs whose creating request died between "created" and "queued" do not sit in validating_files for ever. */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  MemoryJobEventStore,
  MemoryJobStore,
  MemoryOutboxStore,
} from '../../../../../functions/adapters/memory';
import { failAbandonedCreations } from '../../../../../functions/domain/lifecycle';
import type { JobRecord } from '../../../../../functions/domain/records';
import { jobRecord } from '../../../../support/records';

const clock = {
  t: 1_700_000_000_000,
  nowMs() {
    return this.t;
  },
};
let stores: { jobs: MemoryJobStore; events: MemoryJobEventStore; outbox: MemoryOutboxStore };
const deps = () => ({ stores, clock });

async function job(id: string, over: Partial<JobRecord> = {}): Promise<JobRecord> {
  const rec = jobRecord({ id, status: 'validating_files', createdAt: Math.floor(clock.t / 1000), ...over });
  await stores.jobs.create(rec);
  return rec;
}

beforeEach(() => {
  stores = { jobs: new MemoryJobStore(), events: new MemoryJobEventStore(), outbox: new MemoryOutboxStore() };
});

describe('failAbandonedCreations', () => {
  it('fails a job left in validating_files past the grace period, once, with a reason and a webhook', async () => {
    const abandoned = await job('ftjob-abandoned');
    await job('ftjob-trial', { sweepId: 'ftsweep-1' });
    clock.t += 10 * 60_000;
    const fresh = await job('ftjob-fresh');
    expect(await failAbandonedCreations(deps(), { afterMs: 5 * 60_000 })).toEqual([abandoned.id]);
    const after = (await stores.jobs.getById(abandoned.id))!;
    expect(after.status).toBe('failed');
    expect(after.error).toMatchObject({ code: 'creation_interrupted' });
    expect((await stores.outbox.listPending(10)).map((o) => o.id)).toEqual([`${abandoned.id}:failed`]);
    // The request that is still creating its job, and the sweep's trial, are left alone.
    expect((await stores.jobs.getById(fresh.id))!.status).toBe('validating_files');
    expect((await stores.jobs.getById('ftjob-trial'))!.status).toBe('validating_files');
    expect(await failAbandonedCreations(deps(), { afterMs: 5 * 60_000 })).toEqual([]);
  });
});
