import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repairRecentFollowUps, transitionJob } from '../../../functions/domain/lifecycle';
import { timeSortedIds } from '../../../functions/domain/ids';
import { ConflictError } from '../../../functions/errors';
import { startEmbedded, type Embedded } from '../../support/embedded';
import { jobRecord } from '../../support/records';

let env: Embedded;
const ids = timeSortedIds({ nowMs: () => Date.now() });

beforeAll(async () => {
  env = await startEmbedded();
});
afterAll(() => env?.stop());

describe('DynamoDB job store on dynalite', () => {
  it('creates once, reads by id, and hides jobs from other tenants', async () => {
    const job = jobRecord({ id: ids.next('ftjob-'), metadata: { team: 'a' } });
    await env.stores.jobs.create(job);
    await expect(env.stores.jobs.create(job)).rejects.toBeInstanceOf(ConflictError);
    expect(await env.stores.jobs.getById(job.id)).toEqual(job);
    expect(await env.stores.jobs.get('tenant-a', job.id)).toEqual(job);
    expect(await env.stores.jobs.get('tenant-b', job.id)).toBeUndefined();
    expect(await env.stores.jobs.getById('ftjob-missing')).toBeUndefined();
  });

  it('updates only at the expected version and status, bumping the version', async () => {
    const job = jobRecord({ id: ids.next('ftjob-') });
    await env.stores.jobs.create(job);
    const updated = await env.stores.jobs.update(
      job.id,
      { version: 1, status: 'queued' },
      {
        status: 'running',
        startedAt: 5,
        providerJobId: 'batch-1',
      },
    );
    expect(updated).toMatchObject({ status: 'running', version: 2, startedAt: 5, providerJobId: 'batch-1' });
    await expect(env.stores.jobs.update(job.id, { version: 1 }, { trainedTokens: 1 })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(
      env.stores.jobs.update(job.id, { version: 2, status: 'queued' }, { trainedTokens: 1 }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      env.stores.jobs.update('ftjob-missing', { version: 1 }, { trainedTokens: 1 }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect((await env.stores.jobs.getById(job.id))!.version).toBe(2);
  });

  it('lets exactly one of many racing conditional updates win', async () => {
    const job = jobRecord({ id: ids.next('ftjob-') });
    await env.stores.jobs.create(job);
    const racers = Array.from({ length: 8 }, (_, i) =>
      env.stores.jobs.update(job.id, { version: 1, status: 'queued' }, { trainedTokens: i }),
    );
    const results = await Promise.allSettled(racers);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    }
    expect((await env.stores.jobs.getById(job.id))!.version).toBe(2);
  });

  it('racing lifecycle transitions: one terminal status wins, with one event and one outbox entry', async () => {
    const job = jobRecord({ id: ids.next('ftjob-') });
    await env.stores.jobs.create(job);
    const deps = { stores: env.stores, clock: { nowMs: () => Date.now() } };
    await transitionJob(deps, job.id, 'running');
    const results = await Promise.allSettled([
      transitionJob(deps, job.id, 'succeeded'),
      transitionJob(deps, job.id, 'cancelled'),
      transitionJob(deps, job.id, 'failed'),
      transitionJob(deps, job.id, 'succeeded'),
    ]);
    const final = (await env.stores.jobs.getById(job.id))!;
    expect(final.version).toBe(3);
    const changed = results.filter((r) => r.status === 'fulfilled' && r.value.changed);
    expect(changed).toHaveLength(1);
    const events = await env.stores.events.list(job.id, { limit: 10 });
    expect(events.items.map((e) => e.message)).toHaveLength(2);
    const outbox = (await env.stores.outbox.listPending(100)).filter((e) => e.subjectId === job.id);
    expect(outbox.map((e) => e.type).sort()).toEqual(
      ['fine_tuning.job.running', `fine_tuning.job.${final.status}`].sort(),
    );
    // A late report cannot revive it.
    await expect(transitionJob(deps, job.id, 'running')).rejects.toBeInstanceOf(ConflictError);
  });

  it('lists a tenant newest first with an after cursor', async () => {
    const tenantId = 'tenant-list';
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      const id = ids.next('ftjob-');
      created.push(id);
      await env.stores.jobs.create(jobRecord({ id, tenantId }));
    }
    await env.stores.jobs.create(jobRecord({ id: ids.next('ftjob-'), tenantId: 'someone-else' }));
    const newestFirst = [...created].reverse();
    const p1 = await env.stores.jobs.list(tenantId, { limit: 3 });
    expect(p1.items.map((j) => j.id)).toEqual(newestFirst.slice(0, 3));
    expect(p1.hasMore).toBe(true);
    const p2 = await env.stores.jobs.list(tenantId, { limit: 3, after: p1.items.at(-1)!.id });
    expect(p2.items.map((j) => j.id)).toEqual(newestFirst.slice(3, 6));
    const p3 = await env.stores.jobs.list(tenantId, { limit: 3, after: p2.items.at(-1)!.id });
    expect(p3.items.map((j) => j.id)).toEqual(newestFirst.slice(6));
    expect(p3.hasMore).toBe(false);
    const exact = await env.stores.jobs.list(tenantId, { limit: 7 });
    expect(exact).toMatchObject({ hasMore: false });
    expect(exact.items).toHaveLength(7);
  });

  it('filters on metadata and sweep and still fills the page across many stored pages', async () => {
    const tenantId = 'tenant-meta';
    const matching: string[] = [];
    // 160 jobs, every 16th matches: the matches are spread over two 100-item query pages.
    const jobs = Array.from({ length: 160 }, (_, i) => {
      const id = ids.next('ftjob-');
      const hit = i % 16 === 0;
      if (hit) matching.push(id);
      return jobRecord({
        id,
        tenantId,
        metadata: hit ? { project: 'x', 'odd key.with dots': 'yes' } : { project: 'y' },
        sweepId: hit ? 'sweep-1' : null,
      });
    });
    for (let i = 0; i < jobs.length; i += 25)
      await Promise.all(jobs.slice(i, i + 25).map((j) => env.stores.jobs.create(j)));
    const want = [...matching].reverse();
    const page = await env.stores.jobs.list(tenantId, {
      limit: 5,
      metadata: { project: 'x', 'odd key.with dots': 'yes' },
    });
    expect(page.items.map((j) => j.id)).toEqual(want.slice(0, 5));
    expect(page.hasMore).toBe(true);
    const rest = await env.stores.jobs.list(tenantId, {
      limit: 50,
      metadata: { project: 'x' },
      after: page.items[4].id,
    });
    expect(rest.items.map((j) => j.id)).toEqual(want.slice(5));
    expect(rest.hasMore).toBe(false);
    const sweep = await env.stores.jobs.list(tenantId, { limit: 100, sweepId: 'sweep-1' });
    expect(sweep.items).toHaveLength(matching.length);
    expect((await env.stores.jobs.list(tenantId, { limit: 5, metadata: { project: 'none' } })).items).toEqual(
      [],
    );
  });

  it('lists jobs by status across tenants and follows status changes', async () => {
    const a = jobRecord({ id: ids.next('ftjob-'), tenantId: 't-status-1', status: 'paused' });
    const b = jobRecord({ id: ids.next('ftjob-'), tenantId: 't-status-2', status: 'paused' });
    await env.stores.jobs.create(a);
    await env.stores.jobs.create(b);
    let paused = await env.stores.jobs.listByStatus(['paused'], 100);
    expect(paused.map((j) => j.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    await env.stores.jobs.update(a.id, { version: 1, status: 'paused' }, { status: 'cancelled' });
    paused = await env.stores.jobs.listByStatus(['paused'], 100);
    expect(paused.map((j) => j.id)).not.toContain(a.id);
    expect((await env.stores.jobs.listByStatus(['cancelled', 'paused'], 100)).map((j) => j.id)).toEqual(
      expect.arrayContaining([a.id, b.id]),
    );
    expect(await env.stores.jobs.listByStatus(['paused'], 1)).toHaveLength(1);
  });
});

describe('follow-up reconciler on dynalite', () => {
  it('repairs the event and webhook of a transition whose process died after the status write', async () => {
    let now = 1_800_000_000_000;
    const clock = { nowMs: () => now };
    const job = jobRecord({ id: ids.next('ftjob-'), tenantId: 'tenant-crash', createdAt: now / 1000 });
    await env.stores.jobs.create(job);
    // The outbox write fails as if the Lambda died right after the conditional update.
    const failing = {
      ...env.stores,
      outbox: { ...env.stores.outbox, put: async () => Promise.reject(new Error('killed')) },
    };
    await expect(transitionJob({ stores: failing, clock }, job.id, 'cancelled')).rejects.toThrow('killed');
    expect((await env.stores.jobs.getById(job.id))!.status).toBe('cancelled');
    const pendingFor = async () =>
      (await env.stores.outbox.listPending(1000)).filter((e) => e.subjectId === job.id);
    expect(await pendingFor()).toEqual([]);

    now += 60_000;
    const repaired = await repairRecentFollowUps({ stores: env.stores, clock }, { windowMs: 5 * 60_000 });
    expect(repaired).toBeGreaterThanOrEqual(1);
    expect((await pendingFor()).map((e) => e.id)).toEqual([`${job.id}:cancelled`]);
    expect((await env.stores.events.list(job.id, { limit: 10 })).items).toHaveLength(1);

    // Running again changes nothing; outside the window the job is not even looked at.
    await repairRecentFollowUps({ stores: env.stores, clock }, { windowMs: 5 * 60_000 });
    expect(await pendingFor()).toHaveLength(1);
    now += 60 * 60_000;
    const late = await env.stores.jobs.listByStatus(['cancelled'], 1000, {
      changedSinceMs: now - 5 * 60_000,
    });
    expect(late.map((j) => j.id)).not.toContain(job.id);
  });
});
