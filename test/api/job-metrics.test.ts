/**
 * Our extensions of the jobs API for dashboards: a job's metrics as columns
 * (GET /v1/fine_tuning/jobs/{id}/metrics, after_step for live charts, fields to pick), and the
 * jobs list filtered by status, model and provider — on the embedded stack's DynamoDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordMetrics, transitionJob } from '../../functions/domain/lifecycle';
import { systemClock } from '../../functions/ports/clock';
import { chatJsonl } from './data';
import { BASE_MODEL, errorOf, startApi, type ApiHarness } from './support';

let api: ApiHarness;
let trainingFile: string;

beforeAll(async () => {
  api = await startApi();
  trainingFile = (await (await api.upload(chatJsonl(20))).json()).id;
});
afterAll(() => api.stop());

const create = async (json: Record<string, unknown> = {}, key?: string) =>
  (
    await api.call('POST', '/v1/fine_tuning/jobs', {
      json: { model: BASE_MODEL, training_file: trainingFile, ...json },
      key,
    })
  ).json();
const deps = () => ({ stores: api.env.stores, clock: systemClock });
const metricsOf = async (id: string, query = '', key?: string) =>
  api.call('GET', `/v1/fine_tuning/jobs/${id}/metrics${query}`, { key });

describe("a job's metrics as columns", () => {
  it('answers the metrics events’ numbers ascending by step, null where a step did not report one', async () => {
    const job = await create();
    // Written out of order, and one step twice (a resumed attempt replays it): one point per step.
    for (const step of [3, 1, 2, 4, 2]) {
      await recordMetrics(deps(), job, {
        step,
        totalSteps: 4,
        train_loss: 2 / step,
        ...(step % 2 === 0 ? { valid_loss: 3 / step } : {}),
      });
    }
    const res = await metricsOf(job.id);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      object: 'fine_tuning.job.metrics',
      fine_tuning_job_id: job.id,
      step: [1, 2, 3, 4],
      metrics: {
        total_steps: [4, 4, 4, 4],
        train_loss: [2, 1, 2 / 3, 0.5],
        valid_loss: [null, 1.5, null, 0.75],
      },
      has_more: false,
      last_step: 4,
    });
    // The same numbers as the events API's metrics events.
    const events = (await (await api.call('GET', `/v1/fine_tuning/jobs/${job.id}/events?limit=100`)).json())
      .data as { type: string; data: { step: number; train_loss: number } }[];
    const fromEvents = events
      .filter((e) => e.type === 'metrics')
      .map((e) => [e.data.step, e.data.train_loss])
      .sort((a, b) => a[0] - b[0]);
    expect(fromEvents).toEqual([
      [1, 2],
      [2, 1],
      [3, 2 / 3],
      [4, 0.5],
    ]);
  });

  it('pages with limit and after_step, picks fields, and answers only new steps to a poll', async () => {
    const job = await create();
    for (let step = 1; step <= 25; step++)
      await recordMetrics(deps(), job, { step, train_loss: step, lr: step / 100 });
    const first = await (await metricsOf(job.id, '?limit=10&fields=train_loss')).json();
    expect(first.step).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(Object.keys(first.metrics)).toEqual(['train_loss']);
    expect(first).toMatchObject({ has_more: true, last_step: 10 });
    const rest = await (
      await metricsOf(job.id, `?after_step=${first.last_step}&fields=lr,train_loss`)
    ).json();
    expect(rest.step).toEqual(Array.from({ length: 15 }, (_, i) => i + 11));
    expect(Object.keys(rest.metrics)).toEqual(['lr', 'train_loss']);
    expect(rest.metrics.lr.at(-1)).toBe(0.25);
    expect(rest.has_more).toBe(false);
    // Nothing new: an empty answer that keeps the cursor null, and the poll asks again with the old one.
    expect(await (await metricsOf(job.id, '?after_step=25')).json()).toMatchObject({
      step: [],
      metrics: {},
      has_more: false,
      last_step: null,
    });
    await recordMetrics(deps(), job, { step: 26, train_loss: 26, lr: 0.26 });
    const poll = await (await metricsOf(job.id, '?after_step=25&fields=train_loss')).json();
    expect(poll).toMatchObject({ step: [26], metrics: { train_loss: [26] }, last_step: 26 });
    // A metric the job never reported is all nulls rather than missing.
    const unknown = await (await metricsOf(job.id, '?after_step=24&fields=valid_loss')).json();
    expect(unknown.metrics).toEqual({ valid_loss: [null, null] });
  });

  it('pages across the store’s 50-step items in order', async () => {
    const job = await create();
    const steps = Array.from({ length: 130 }, (_, i) => i + 1);
    for (let i = 0; i < steps.length; i += 20)
      await Promise.all(
        steps.slice(i, i + 20).map((step) => recordMetrics(deps(), job, { step, train_loss: step })),
      );
    const a = await (await metricsOf(job.id, '?limit=60')).json();
    expect(a.step).toEqual(steps.slice(0, 60));
    expect(a.has_more).toBe(true);
    const b = await (await metricsOf(job.id, `?after_step=${a.last_step}`)).json();
    expect(b.step).toEqual(steps.slice(60));
    expect(b.metrics.train_loss).toEqual(steps.slice(60));
    expect((await (await metricsOf(job.id, '?after_step=99')).json()).step).toEqual(steps.slice(99));
  });

  it('reads a job whose metrics events were written before the store kept their numbers apart, from its event list', async () => {
    const job = await create();
    // An event item as the store wrote metrics events before: the event alone.
    for (const step of [2, 1]) {
      await api.env.clients.doc.put({
        TableName: api.env.config.table,
        Item: {
          pk: `JOB#${job.id}`,
          sk: `EVENT#ftevent-legacy${step}`,
          gsi1pk: `JOB#${job.id}#EVENTS`,
          gsi1sk: `${String(Date.now() * 1000 + step).padStart(16, '0')}#ftevent-legacy${step}`,
          id: `ftevent-legacy${step}`,
          jobId: job.id,
          tenantId: 'tenant-a',
          createdAt: 1_700_000_000,
          level: 'info',
          message: `Step ${step}`,
          type: 'metrics',
          data: { step, train_loss: step * 10 },
        },
      });
    }
    const res = await (await metricsOf(job.id)).json();
    expect(res.step).toEqual([1, 2]);
    expect(res.metrics.train_loss).toEqual([10, 20]);
  });

  it('refuses bad queries naming the field, and hides other tenants’ jobs', async () => {
    const job = await create();
    for (const [query, param] of [
      ['?fields=Train-Loss', 'fields'],
      ['?fields=,', 'fields'],
      ['?after_step=-1', 'after_step'],
      ['?limit=10001', 'limit'],
      ['?limit=0', 'limit'],
    ]) {
      const res = await metricsOf(job.id, query);
      expect(res.status, query).toBe(400);
      expect((await errorOf(res)).param, query).toBe(param);
    }
    expect((await metricsOf(job.id, '', api.keyB)).status).toBe(404);
    expect((await metricsOf('ftjob-nope')).status).toBe(404);
  });
});

describe('the jobs list filtered on the server', () => {
  it('by status, model and provider, with paging', async () => {
    const a = await create({ metadata: { filter: 'yes' } });
    const b = await create({ metadata: { filter: 'yes' } });
    const c = await create({ metadata: { filter: 'yes' } });
    await transitionJob(deps(), b.id, 'cancelled');
    await transitionJob(deps(), c.id, 'cancelled');
    const list = async (q: string) =>
      (await (await api.call('GET', `/v1/fine_tuning/jobs?metadata[filter]=yes&${q}`)).json()) as {
        data: { id: string; status: string }[];
        has_more: boolean;
        last_id: string;
      };
    expect((await list('status=cancelled')).data.map((j) => j.id)).toEqual([c.id, b.id]);
    const paged = await list('status=cancelled&limit=1');
    expect(paged.data.map((j) => j.id)).toEqual([c.id]);
    expect(paged.has_more).toBe(true);
    expect((await list(`status=cancelled&limit=1&after=${paged.last_id}`)).data.map((j) => j.id)).toEqual([
      b.id,
    ]);
    expect((await list(`status=${a.status}`)).data.map((j) => j.id)).toEqual([a.id]);
    expect((await list(`model=${BASE_MODEL}`)).data).toHaveLength(3);
    expect((await list('model=gpt-4o-mini')).data).toEqual([]);
    expect((await list(`provider=${a.provider}&status=cancelled`)).data).toHaveLength(2);
    const bad = await api.call('GET', '/v1/fine_tuning/jobs?status=done');
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).param).toBe('status');
    const badProvider = await api.call('GET', '/v1/fine_tuning/jobs?provider=azure');
    expect((await errorOf(badProvider)).param).toBe('provider');
  });
});
