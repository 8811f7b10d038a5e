/**
 * The official `openai` SDK's evals and graders against our API over real HTTP on loopback:
 * evals.create / retrieve / update / list, evals.runs.create / retrieve / list / cancel,
 * runs.outputItems.list / retrieve (auto-pagination included), fineTuning.alpha.graders.run /
 * validate, and a python grader surfacing as the SDK's BadRequestError naming the field.
 */
import OpenAI, { BadRequestError, NotFoundError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoEvalStore } from '../../../functions/adapters/dynamodb';
import { startEvalRunWorker, type EvalRunWorker } from '../../../functions/domain/evals/runs';
import { systemClock } from '../../../functions/ports/clock';
import type { EvalStore } from '../../../functions/ports/evals';
import { startApi, type ApiHarness } from '../../api/support';

let api: ApiHarness;
let server: { baseUrl: string; close(): Promise<void> };
let client: OpenAI;
let worker: EvalRunWorker;
let store: DynamoEvalStore;

beforeAll(async () => {
  const forward = new Proxy({} as EvalStore, {
    get:
      (_t, name) =>
      (...args: unknown[]) =>
        (store as unknown as Record<string, (...a: unknown[]) => unknown>)[name as string](...args),
  });
  api = await startApi({ evals: { store: forward, onRunQueued: (run) => worker.kick(run.id) } });
  store = new DynamoEvalStore({ doc: api.env.clients.doc, table: api.env.config.table, clock: systemClock });
  worker = startEvalRunWorker(
    {
      evals: store,
      stores: api.deps.stores,
      blobs: api.deps.blobs,
      clock: systemClock,
      settings: { batchSize: 4 },
    },
    { intervalMs: 200 },
  );
  server = await api.listen();
  client = new OpenAI({ apiKey: api.keyA, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await worker?.stop();
  await server?.close();
  await api?.stop();
});

const rows = Array.from({ length: 25 }, (_, i) => ({
  item: { ticket: `ticket ${i}`, label: i % 5 === 0 ? 'Hardware' : 'Software' },
  sample: { output_text: i % 3 === 0 ? 'Hardware' : 'Software' },
}));

describe('openai SDK: evals', () => {
  it('creates an eval, runs it on given samples, and lists every output item', async () => {
    const created = await client.evals.create({
      name: 'IT tickets',
      metadata: { owner: 'sdk' },
      data_source_config: {
        type: 'custom',
        item_schema: {
          type: 'object',
          properties: { ticket: { type: 'string' }, label: { type: 'string' } },
          required: ['ticket', 'label'],
        },
        include_sample_schema: true,
      },
      testing_criteria: [
        {
          type: 'string_check',
          name: 'Match output to human label',
          input: '{{ sample.output_text }}',
          operation: 'eq',
          reference: '{{ item.label }}',
        },
      ],
    });
    expect(created.object).toBe('eval');
    expect(created.id).toMatch(/^eval_/);
    expect((await client.evals.retrieve(created.id)).name).toBe('IT tickets');
    expect((await client.evals.update(created.id, { name: 'IT tickets v2' })).name).toBe('IT tickets v2');
    const listed: string[] = [];
    for await (const e of client.evals.list({ limit: 2 })) listed.push(e.id);
    expect(listed).toContain(created.id);

    const run = await client.evals.runs.create(created.id, {
      name: 'given samples',
      data_source: { type: 'jsonl', source: { type: 'file_content', content: rows } },
    });
    expect(run).toMatchObject({ object: 'eval.run', eval_id: created.id, name: 'given samples' });
    let done = run;
    for (let i = 0; i < 300 && done.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      done = await client.evals.runs.retrieve(run.id, { eval_id: created.id });
    }
    expect(done.status).toBe('completed');
    const expectedPass = rows.filter((r) => r.item.label === r.sample.output_text).length;
    expect(done.result_counts).toEqual({
      total: 25,
      passed: expectedPass,
      failed: 25 - expectedPass,
      errored: 0,
    });
    expect(done.per_testing_criteria_results).toEqual([
      { testing_criteria: 'Match output to human label', passed: expectedPass, failed: 25 - expectedPass },
    ]);

    const items: number[] = [];
    for await (const item of client.evals.runs.outputItems.list(run.id, { eval_id: created.id, limit: 10 })) {
      items.push(item.datasource_item_id);
      expect(item.results[0]).toMatchObject({
        name: 'Match output to human label',
        passed: item.status === 'pass',
      });
    }
    expect(items).toEqual(rows.map((_, i) => i));
    const failing = await client.evals.runs.outputItems.list(run.id, {
      eval_id: created.id,
      status: 'fail',
      limit: 100,
    });
    expect(failing.data).toHaveLength(25 - expectedPass);
    const one = await client.evals.runs.outputItems.retrieve(failing.data[0].id, {
      eval_id: created.id,
      run_id: run.id,
    });
    expect(one.id).toBe(failing.data[0].id);

    const runs = await client.evals.runs.list(created.id);
    expect(runs.data.map((r) => r.id)).toEqual([run.id]);
    const canceled = await client.evals.runs.cancel(run.id, { eval_id: created.id });
    expect(canceled.status).toBe('completed');
    await expect(client.evals.retrieve('eval_nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses a python grader with a BadRequestError naming the field', async () => {
    const err = await client.evals
      .create({
        data_source_config: { type: 'custom', item_schema: { type: 'object' } },
        testing_criteria: [{ type: 'python', name: 'p', source: 'def grade(sample, item):\n    return 1.0' }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).param).toBe('testing_criteria[0].type');
  });
});

describe('openai SDK: graders', () => {
  it('runs and validates a grader', async () => {
    const grader = {
      type: 'text_similarity' as const,
      name: 'bleu',
      input: '{{sample.output_text}}',
      reference: '{{item.reference}}',
      evaluation_metric: 'bleu' as const,
    };
    const res = await client.fineTuning.alpha.graders.run({
      grader,
      model_sample: 'The dog bit the man.',
      item: { reference: 'The dog bit the man.' },
    });
    expect(res.reward).toBeCloseTo(1, 10);
    expect(res.metadata.type).toBe('text_similarity');
    expect((await client.fineTuning.alpha.graders.validate({ grader })).grader).toEqual(grader);
  });
});
