import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendJobEvent, recordMetrics, recordMetricsBatch } from '../../../functions/domain/lifecycle';
import { timeSortedIds } from '../../../functions/domain/ids';
import type { IdempotencyRecord, UploadRecord } from '../../../functions/domain/records';
import { ConflictError, NotFoundError } from '../../../functions/errors';
import { startEmbedded, type Embedded } from '../../support/embedded';
import { fileRecord, manualClock } from '../../support/records';

let env: Embedded;
const clock = manualClock();
const ids = timeSortedIds({ nowMs: () => Date.now() });
const nowS = () => Math.floor(clock.nowMs() / 1000);

beforeAll(async () => {
  env = await startEmbedded({ clock });
});
afterAll(() => env?.stop());

describe('events', () => {
  it('lists newest first in write order, pages with a cursor, and ignores repeated writes', async () => {
    const job = { id: 'ftjob-events', tenantId: 't' };
    const deps = { stores: env.stores, clock };
    for (let step = 1; step <= 5; step++) await recordMetrics(deps, job, { step, train_loss: 2 / step });
    await recordMetrics(deps, job, { step: 3, train_loss: 9 }); // replayed step after a resume
    await appendJobEvent(deps, job, { message: 'done', dedupeKey: 'done' });
    await appendJobEvent(deps, job, { message: 'done', dedupeKey: 'done' });
    const p1 = await env.stores.events.list(job.id, { limit: 4 });
    expect(p1.items.map((e) => e.message)).toEqual([
      'done',
      'Step 5: training loss=0.4',
      'Step 4: training loss=0.5',
      'Step 3: training loss=0.66667',
    ]);
    expect(p1.hasMore).toBe(true);
    const p2 = await env.stores.events.list(job.id, { limit: 4, after: p1.items[3].id });
    expect(p2.items.map((e) => e.data?.step)).toEqual([2, 1]);
    expect(p2.hasMore).toBe(false);
    expect(await env.stores.events.list(job.id, { limit: 4, after: 'ftevent-unknown' })).toEqual({
      items: [],
      hasMore: false,
    });
    expect((await env.stores.events.list('ftjob-other', { limit: 4 })).items).toEqual([]);
  });
  it('writes a batch of metrics across metrics-column items as single writes would, first write winning', async () => {
    const job = { id: 'ftjob-events-batch', tenantId: 't' };
    const deps = { stores: env.stores, clock };
    await recordMetrics(deps, job, { step: 47, train_loss: 1 });
    // Steps 46–52 span two items of 50 steps; 47 is already there and 49 is repeated in the batch.
    await recordMetricsBatch(
      deps,
      job,
      [46, 47, 48, 49, 49, 50, 51, 52].map((step, i) => ({ step, train_loss: 100 + i })),
    );
    const metrics = await env.stores.events.metrics(job.id, { limit: 100 });
    expect(metrics.items.map((m) => [m.step, m.train_loss])).toEqual([
      [46, 100],
      [47, 1],
      [48, 102],
      [49, 103],
      [50, 105],
      [51, 106],
      [52, 107],
    ]);
    const listed = await env.stores.events.list(job.id, { limit: 100 });
    // Newest first in the batch's order, after the single write before it.
    expect(listed.items.map((e) => e.data?.step)).toEqual([52, 51, 50, 49, 48, 46, 47]);
    expect(listed.items.find((e) => e.data?.step === 47)?.message).toBe('Step 47: training loss=1');
  });
});

describe('checkpoints', () => {
  it('lists highest step first, pages, replaces on repeated put, and deletes', async () => {
    const mk = (step: number) => ({
      id: `ftckpt-${step}`,
      jobId: 'ftjob-ck',
      tenantId: 't',
      createdAt: step,
      stepNumber: step,
      metrics: { train_loss: 1 / step },
      fineTunedModelCheckpoint: `ft:base:ckpt-step-${step}`,
      blobPrefix: `checkpoints/ftjob-ck/ftckpt-${step}/`,
    });
    for (const s of [100, 9, 20]) await env.stores.checkpoints.put(mk(s));
    await env.stores.checkpoints.put(mk(20));
    const p1 = await env.stores.checkpoints.list('ftjob-ck', { limit: 2 });
    expect(p1.items.map((c) => c.stepNumber)).toEqual([100, 20]);
    expect(p1.hasMore).toBe(true);
    const p2 = await env.stores.checkpoints.list('ftjob-ck', { limit: 2, after: 'ftckpt-20' });
    expect(p2.items.map((c) => c.stepNumber)).toEqual([9]);
    await env.stores.checkpoints.delete('ftjob-ck', 'ftckpt-100');
    expect((await env.stores.checkpoints.list('ftjob-ck', { limit: 10 })).items.map((c) => c.id)).toEqual([
      'ftckpt-20',
      'ftckpt-9',
    ]);
  });
});

describe('files', () => {
  it('scopes to the tenant, lists newest first with a purpose filter, and hides deleted files', async () => {
    const a = fileRecord({ id: ids.next('file-') });
    const b = fileRecord({ id: ids.next('file-'), purpose: 'fine-tune-results' });
    const c = fileRecord({ id: ids.next('file-') });
    for (const f of [a, b, c]) await env.stores.files.put(f);
    expect(await env.stores.files.get('tenant-a', a.id)).toEqual(a);
    expect(await env.stores.files.get('tenant-b', a.id)).toBeUndefined();
    expect((await env.stores.files.list('tenant-a', { limit: 10 })).items.map((f) => f.id)).toEqual([
      c.id,
      b.id,
      a.id,
    ]);
    const tuned = await env.stores.files.list('tenant-a', { limit: 1, purpose: 'fine-tune' });
    expect(tuned).toEqual({ items: [c], hasMore: true });
    await expect(env.stores.files.markDeleted('tenant-b', a.id)).rejects.toBeInstanceOf(NotFoundError);
    await env.stores.files.markDeleted('tenant-a', a.id);
    expect(await env.stores.files.get('tenant-a', a.id)).toBeUndefined();
    expect((await env.stores.files.list('tenant-a', { limit: 10 })).items.map((f) => f.id)).toEqual([
      c.id,
      b.id,
    ]);
  });
});

describe('uploads', () => {
  const upload = (id: string, expiresAt: number): UploadRecord => ({
    id,
    tenantId: 'tenant-a',
    filename: 'big.jsonl',
    bytes: 10_000_000,
    purpose: 'fine-tune',
    mimeType: 'application/jsonl',
    status: 'pending',
    createdAt: nowS(),
    expiresAt,
    blobKey: `uploads/tenant-a/${id}`,
    multipartId: 'mp-1',
  });

  it('moves status conditionally and returns the updated record', async () => {
    await env.stores.uploads.put(upload('upload_1', nowS() + 3600));
    expect(await env.stores.uploads.get('tenant-a', 'upload_1')).toEqual(upload('upload_1', nowS() + 3600));
    expect(await env.stores.uploads.get('tenant-b', 'upload_1')).toBeUndefined();
    const done = await env.stores.uploads.setStatus('tenant-a', 'upload_1', 'pending', 'completed', {
      fileId: 'file-9',
    });
    expect(done).toMatchObject({ status: 'completed', fileId: 'file-9', expiresAt: nowS() + 3600 });
    await expect(
      env.stores.uploads.setStatus('tenant-a', 'upload_1', 'pending', 'cancelled'),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      env.stores.uploads.setStatus('tenant-b', 'upload_1', 'completed', 'cancelled'),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('reads a pending upload past its deadline as expired, refuses to complete it, and forgets it later', async () => {
    await env.stores.uploads.put(upload('upload_2', nowS() + 60));
    clock.advance(61_000);
    expect((await env.stores.uploads.get('tenant-a', 'upload_2'))?.status).toBe('expired');
    await expect(
      env.stores.uploads.setStatus('tenant-a', 'upload_2', 'pending', 'completed'),
    ).rejects.toBeInstanceOf(ConflictError);
    expect((await env.stores.uploads.setStatus('tenant-a', 'upload_2', 'expired', 'cancelled')).status).toBe(
      'cancelled',
    );
    clock.advance(8 * 24 * 3600 * 1000);
    expect(await env.stores.uploads.get('tenant-a', 'upload_2')).toBeUndefined();
  });
});

describe('models', () => {
  it('shows system models to every tenant and own models only to their owner', async () => {
    const base = {
      id: 'base-tiny',
      tenantId: 'system' as const,
      createdAt: 1,
      ownedBy: 'tuneplane',
      blobPrefix: 'models/base-tiny/',
    };
    const mine = {
      id: 'ft:base-tiny:acme:1',
      tenantId: 'tenant-a',
      createdAt: 2,
      ownedBy: 'tenant-a',
      blobPrefix: 'models/x/',
      jobId: 'ftjob-1',
    };
    await env.stores.models.put(base);
    await env.stores.models.put(mine);
    expect(await env.stores.models.get('tenant-b', base.id)).toEqual(base);
    expect(await env.stores.models.get('tenant-b', mine.id)).toBeUndefined();
    expect((await env.stores.models.list('tenant-a')).map((m) => m.id)).toEqual([base.id, mine.id]);
    expect((await env.stores.models.list('tenant-b')).map((m) => m.id)).toEqual([base.id]);
    await expect(env.stores.models.markDeleted('tenant-a', base.id)).rejects.toBeInstanceOf(NotFoundError);
    await env.stores.models.markDeleted('tenant-a', mine.id);
    expect(await env.stores.models.get('tenant-a', mine.id)).toBeUndefined();
    expect((await env.stores.models.list('tenant-a')).map((m) => m.id)).toEqual([base.id]);
  });
});

describe('idempotency', () => {
  const rec = (key: string, requestHash = 'h1', ttl = 86_400): IdempotencyRecord => ({
    tenantId: 'tenant-a',
    key,
    requestHash,
    status: 'in_progress',
    createdAt: nowS(),
    expiresAt: nowS() + ttl,
  });

  it('claims once; a second claim sees the first record until it completes, then sees the response', async () => {
    expect(await env.stores.idempotency.claim(rec('k1'))).toBeUndefined();
    expect(await env.stores.idempotency.claim(rec('k1', 'h2'))).toMatchObject({
      status: 'in_progress',
      requestHash: 'h1',
    });
    await env.stores.idempotency.complete('tenant-a', 'k1', { status: 201, body: '{"id":"x"}' });
    await env.stores.idempotency.release('tenant-a', 'k1'); // must not drop a completed record
    expect(await env.stores.idempotency.claim(rec('k1'))).toMatchObject({
      status: 'completed',
      response: { status: 201, body: '{"id":"x"}' },
    });
    // Keys are per tenant.
    expect(await env.stores.idempotency.claim({ ...rec('k1'), tenantId: 'tenant-b' })).toBeUndefined();
  });

  it('lets exactly one of concurrent claims win', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, () => env.stores.idempotency.claim(rec('k-race'))),
    );
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
  });

  it('treats expired records as absent and released claims as free', async () => {
    expect(await env.stores.idempotency.claim(rec('k2', 'h1', 60))).toBeUndefined();
    clock.advance(61_000);
    expect(await env.stores.idempotency.claim(rec('k2', 'h-new'))).toBeUndefined();
    expect(await env.stores.idempotency.claim(rec('k3'))).toBeUndefined();
    await env.stores.idempotency.release('tenant-a', 'k3');
    expect(await env.stores.idempotency.claim(rec('k3'))).toBeUndefined();
  });
});

describe('outbox and api keys', () => {
  it('records each happening once, lists pending oldest first, and never revives a dispatched entry', async () => {
    const entry = (id: string, createdAt: number) => ({
      id,
      tenantId: 't',
      type: 'fine_tuning.job.succeeded',
      subjectId: id.split(':')[0],
      createdAt,
      status: 'pending' as const,
    });
    await env.stores.outbox.put(entry('ftjob-o2:succeeded', 20));
    await env.stores.outbox.put(entry('ftjob-o1:succeeded', 10));
    await env.stores.outbox.put(entry('ftjob-o1:succeeded', 30));
    expect((await env.stores.outbox.listPending(10)).map((e) => e.id)).toEqual([
      'ftjob-o1:succeeded',
      'ftjob-o2:succeeded',
    ]);
    await env.stores.outbox.markDispatched('ftjob-o1:succeeded');
    await env.stores.outbox.put(entry('ftjob-o1:succeeded', 10));
    await env.stores.outbox.markDispatched('nope');
    expect((await env.stores.outbox.listPending(10)).map((e) => e.id)).toEqual(['ftjob-o2:succeeded']);
  });

  it('finds an API key by its hash', async () => {
    await env.stores.apiKeys.put({ keyHash: 'ab'.repeat(32), tenantId: 't', name: 'default', createdAt: 1 });
    expect(await env.stores.apiKeys.getByHash('ab'.repeat(32))).toEqual({
      keyHash: 'ab'.repeat(32),
      tenantId: 't',
      name: 'default',
      createdAt: 1,
    });
    expect(await env.stores.apiKeys.getByHash('cd'.repeat(32))).toBeUndefined();
  });
});
