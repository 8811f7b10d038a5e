import { beforeEach, describe, expect, it } from 'vitest';
import {
  MemoryJobEventStore,
  MemoryJobStore,
  MemoryOutboxStore,
} from '../../../../../functions/adapters/memory';
import {
  recordMetrics,
  repairFollowUps,
  transitionJob,
  appendJobEvent,
} from '../../../../../functions/domain/lifecycle';
import type { JobRecord } from '../../../../../functions/domain/records';
import { ConflictError, NotFoundError } from '../../../../../functions/errors';
import { jobRecord } from '../../../../support/records';

function job(over: Partial<JobRecord> = {}): JobRecord {
  return jobRecord({
    id: 'ftjob-1',
    tenantId: 't1',
    model: 'base',
    trainingFile: 'file-1',
    seed: 1,
    ...over,
  });
}

const now = 1_700_000_100_000;
const clock = { nowMs: () => now };
let stores: { jobs: MemoryJobStore; events: MemoryJobEventStore; outbox: MemoryOutboxStore };
let deps: { stores: typeof stores; clock: typeof clock };

beforeEach(async () => {
  stores = { jobs: new MemoryJobStore(), events: new MemoryJobEventStore(), outbox: new MemoryOutboxStore() };
  deps = { stores, clock };
  await stores.jobs.create(job());
});

describe('transitionJob', () => {
  it('moves the job, bumps its version, stamps startedAt, and records one event and one outbox entry', async () => {
    const r = await transitionJob(deps, 'ftjob-1', 'running');
    expect(r.changed).toBe(true);
    expect(r.job).toMatchObject({ status: 'running', version: 2, startedAt: 1_700_000_100 });
    expect(stores.events.items).toHaveLength(1);
    expect(stores.events.items[0]).toMatchObject({
      type: 'message',
      message: 'Fine-tuning job started',
      level: 'info',
    });
    expect([...stores.outbox.items.values()]).toEqual([
      expect.objectContaining({ type: 'fine_tuning.job.running', subjectId: 'ftjob-1', status: 'pending' }),
    ]);
  });

  it('writes the patch with the status and sets finishedAt on terminal statuses', async () => {
    await transitionJob(deps, 'ftjob-1', 'running');
    const r = await transitionJob(deps, 'ftjob-1', 'failed', {
      reason: 'Training data has no assistant messages',
      patch: {
        error: { code: 'invalid_training_file', message: 'no assistant messages', param: 'training_file' },
      },
    });
    expect(r.job.status).toBe('failed');
    expect(r.job.finishedAt).toBe(1_700_000_100);
    expect(r.job.error?.code).toBe('invalid_training_file');
    const ev = stores.events.items.at(-1)!;
    expect(ev).toMatchObject({ level: 'error', message: 'Training data has no assistant messages' });
    expect(stores.outbox.items.get('ftjob-1:failed')?.type).toBe('fine_tuning.job.failed');
  });

  it('answers a duplicated transition idempotently: no second event or outbox entry, no version bump', async () => {
    await transitionJob(deps, 'ftjob-1', 'running');
    await transitionJob(deps, 'ftjob-1', 'succeeded');
    const again = await transitionJob(deps, 'ftjob-1', 'succeeded');
    expect(again.changed).toBe(false);
    expect(again.job.version).toBe(3);
    expect(stores.events.items).toHaveLength(2);
    expect(stores.outbox.items.size).toBe(2);
  });

  it('ignores late, reordered events: a terminal job stays terminal and a running job is not sent back', async () => {
    await transitionJob(deps, 'ftjob-1', 'running');
    await expect(transitionJob(deps, 'ftjob-1', 'queued')).rejects.toBeInstanceOf(ConflictError);
    await transitionJob(deps, 'ftjob-1', 'succeeded');
    for (const late of ['running', 'failed', 'cancelled', 'queued', 'paused'] as const) {
      await expect(transitionJob(deps, 'ftjob-1', late)).rejects.toMatchObject({
        code: 'invalid_job_status',
        status: 409,
      });
    }
    expect((await stores.jobs.getById('ftjob-1'))!.status).toBe('succeeded');
  });

  it('honours expectedStatus', async () => {
    await expect(
      transitionJob(deps, 'ftjob-1', 'cancelled', { expectedStatus: 'running' }),
    ).rejects.toMatchObject({
      code: 'job_status_changed',
    });
    expect((await stores.jobs.getById('ftjob-1'))!.status).toBe('queued');
  });

  it('throws NotFoundError for an unknown job', async () => {
    await expect(transitionJob(deps, 'ftjob-x', 'running')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lets exactly one of two racing transitions win', async () => {
    await transitionJob(deps, 'ftjob-1', 'running');
    const results = await Promise.allSettled([
      transitionJob(deps, 'ftjob-1', 'succeeded'),
      transitionJob(deps, 'ftjob-1', 'cancelled'),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')[0]).toMatchObject({
      reason: expect.any(ConflictError),
    });
    const final = (await stores.jobs.getById('ftjob-1'))!;
    expect(final.version).toBe(3);
    expect(stores.outbox.items.size).toBe(2); // running + the winner
  });

  it('two racing identical transitions: one changes the job, the other reports it unchanged', async () => {
    const results = await Promise.all([
      transitionJob(deps, 'ftjob-1', 'running'),
      transitionJob(deps, 'ftjob-1', 'running'),
    ]);
    expect(results.map((r) => r.changed).sort()).toEqual([false, true]);
    expect(stores.events.items).toHaveLength(1);
  });

  it('retries past an unrelated concurrent write (same status, new version)', async () => {
    await transitionJob(deps, 'ftjob-1', 'running');
    const realGet = stores.jobs.getById.bind(stores.jobs);
    let first = true;
    stores.jobs.getById = async (id) => {
      const j = await realGet(id);
      if (first) {
        first = false;
        // A progress update lands between our read and our write.
        await stores.jobs.update(
          id,
          { version: j!.version },
          { progress: { step: 5, totalSteps: 10, epoch: 1 } },
        );
      }
      return j;
    };
    const r = await transitionJob(deps, 'ftjob-1', 'cancelled');
    expect(r).toMatchObject({ changed: true, job: { status: 'cancelled', progress: { step: 5 } } });
  });

  it('repairs follow-ups lost in a crash after the status write, without duplicating them', async () => {
    const realAppend = stores.events.append.bind(stores.events);
    stores.events.append = async () => {
      throw new Error('process died');
    };
    await transitionJob(deps, 'ftjob-1', 'running').catch(() => undefined);
    stores.events.append = realAppend;
    expect((await stores.jobs.getById('ftjob-1'))!.status).toBe('running');
    expect(stores.events.items).toHaveLength(0);
    expect(stores.outbox.items.size).toBe(0);

    // The retried report of the same transition repairs; a reconciler pass repairs again harmlessly.
    await transitionJob(deps, 'ftjob-1', 'running');
    await repairFollowUps(deps, (await stores.jobs.getById('ftjob-1'))!);
    expect(stores.events.items).toHaveLength(1);
    expect(stores.events.items[0].message).toBe('Fine-tuning job started');
    expect(stores.outbox.items.size).toBe(1);
  });

  it('does not reset a dispatched outbox entry when follow-ups are repaired', async () => {
    await transitionJob(deps, 'ftjob-1', 'cancelled');
    await stores.outbox.markDispatched('ftjob-1:cancelled');
    await repairFollowUps(deps, (await stores.jobs.getById('ftjob-1'))!);
    expect(await stores.outbox.listPending(10)).toEqual([]);
  });

  it('records each pause/resume cycle as its own event and webhook', async () => {
    await transitionJob(deps, 'ftjob-1', 'running');
    await transitionJob(deps, 'ftjob-1', 'paused');
    await transitionJob(deps, 'ftjob-1', 'running', { reason: 'Fine-tuning job resumed' });
    await transitionJob(deps, 'ftjob-1', 'paused');
    expect(stores.events.items.map((e) => e.message)).toEqual([
      'Fine-tuning job started',
      'Fine-tuning job paused',
      'Fine-tuning job resumed',
      'Fine-tuning job paused',
    ]);
    expect([...stores.outbox.items.values()].filter((e) => e.type === 'fine_tuning.job.paused')).toHaveLength(
      2,
    );
  });
});

describe('job event helpers', () => {
  it('records one metrics event per step, with OpenAI-style message and data', async () => {
    const j = job();
    await recordMetrics(deps, j, {
      step: 3,
      totalSteps: 10,
      train_loss: 1.25,
      train_mean_token_accuracy: 0.5,
    });
    await recordMetrics(deps, j, { step: 3, totalSteps: 10, train_loss: 1.25 });
    expect(stores.events.items).toHaveLength(1);
    expect(stores.events.items[0]).toMatchObject({
      type: 'metrics',
      message: 'Step 3/10: training loss=1.25',
      data: { step: 3, total_steps: 10, train_loss: 1.25, train_mean_token_accuracy: 0.5 },
    });
    await expect(recordMetrics(deps, j, { step: -1 })).rejects.toBeInstanceOf(RangeError);
  });

  it('deduplicates message events by key and keeps keyless ones distinct', async () => {
    const j = job();
    await appendJobEvent(deps, j, { message: 'Checkpoint saved', dedupeKey: 'ckpt:1' });
    await appendJobEvent(deps, j, { message: 'Checkpoint saved', dedupeKey: 'ckpt:1' });
    await appendJobEvent(deps, j, { message: 'note' });
    await appendJobEvent(deps, j, { message: 'note' });
    expect(stores.events.items).toHaveLength(3);
    expect(stores.events.items.every((e) => /^ftevent-[0-9a-f]{24}$/.test(e.id))).toBe(true);
  });
});
