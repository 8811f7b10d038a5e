/**
 * /v1/evals over the app on the embedded stack (dynalite, s3rver): evals, runs executed by the
 * local worker, output items, reports, cancel, webhooks' outbox entries, tenant isolation, and bad
 * definitions as 400s naming the field. Sampled models and judges are OpenAI's, served by the
 * stand-in (OpenAI's servers cannot be reached from here); runs over our own models need the
 * inference service (test/integration/evals).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoEvalStore } from '../../functions/adapters/dynamodb';
import { openAiSampler } from '../../functions/adapters/openai/sampler';
import { startEvalRunWorker, type EvalRunWorker } from '../../functions/domain/evals/runs';
import { systemClock } from '../../functions/ports/clock';
import type { EvalStore } from '../../functions/ports/evals';
import { startOpenAiStandin, type OpenAiStandin } from '../support/openai-standin';
import { errorOf, startApi, type ApiHarness } from './support';

let api: ApiHarness;
let openai: OpenAiStandin;
let worker: EvalRunWorker;
let store: DynamoEvalStore;

beforeAll(async () => {
  openai = await startOpenAiStandin();
  const sampler = openAiSampler(new OpenAI({ apiKey: 'sk-test', baseURL: openai.baseURL, maxRetries: 0 }));
  // The store needs the harness's DynamoDB, which exists once startApi returns: the app gets a
  // store that forwards to it.
  const forward = new Proxy({} as EvalStore, {
    get:
      (_t, name) =>
      (...args: unknown[]) =>
        (store as unknown as Record<string, (...a: unknown[]) => unknown>)[name as string](...args),
  });
  api = await startApi({ sampler, evals: { store: forward, onRunQueued: (run) => worker.kick(run.id) } });
  store = new DynamoEvalStore({ doc: api.env.clients.doc, table: api.env.config.table, clock: systemClock });
  worker = startEvalRunWorker(
    {
      evals: store,
      stores: api.deps.stores,
      blobs: api.deps.blobs,
      clock: systemClock,
      sampler,
      settings: { batchSize: 3 },
    },
    { intervalMs: 200 },
  );
});
afterAll(async () => {
  await worker.stop();
  await api.stop();
  await openai.close();
});

const ITEM_SCHEMA = {
  type: 'object',
  properties: { question: { type: 'string' }, answer: { type: 'string' } },
  required: ['question', 'answer'],
};

const exact = {
  type: 'string_check',
  name: 'exact',
  input: '{{sample.output_text}}',
  reference: '{{item.answer}}',
  operation: 'eq',
};

const createEval = async (body: Record<string, unknown> = {}, key?: string) => {
  const res = await api.call('POST', '/v1/evals', {
    key,
    json: {
      name: 'capitals',
      data_source_config: { type: 'custom', item_schema: ITEM_SCHEMA, include_sample_schema: true },
      testing_criteria: [exact],
      ...body,
    },
  });
  return { res, body: await res.json() };
};

async function waitForRun(evalId: string, runId: string, until: (s: string) => boolean) {
  for (let i = 0; i < 300; i++) {
    const run = await (await api.call('GET', `/v1/evals/${evalId}/runs/${runId}`)).json();
    if (until(run.status)) return run;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${runId} did not get there`);
}

const ROWS = [
  { item: { question: 'Capital of France?', answer: 'Paris' }, sample: { output_text: 'Paris' } },
  { item: { question: 'Capital of Italy?', answer: 'Rome' }, sample: { output_text: 'Milan' } },
  { item: { question: 'Capital of Spain?', answer: 'Madrid' }, sample: { output_text: 'Madrid' } },
  { item: { question: 'Capital of Japan?', answer: 'Tokyo' }, sample: { output_text: 'Tokyo' } },
  { item: { question: 'Capital of Peru?', answer: 'Lima' }, sample: { output_text: 'lima' } },
];

describe('evals', () => {
  it('creates, lists, retrieves, updates and deletes an eval in OpenAI shapes', async () => {
    const { res, body } = await createEval({ metadata: { team: 'geo' } });
    expect(res.status).toBe(201);
    expect(body).toMatchObject({
      object: 'eval',
      name: 'capitals',
      metadata: { team: 'geo' },
      testing_criteria: [exact],
      data_source_config: {
        type: 'custom',
        schema: { type: 'object', properties: { item: ITEM_SCHEMA }, required: ['item', 'sample'] },
      },
    });
    expect(body.id).toMatch(/^eval_/);
    const got = await (await api.call('GET', `/v1/evals/${body.id}`)).json();
    expect(got).toEqual(body);
    const renamed = await (
      await api.call('POST', `/v1/evals/${body.id}`, { json: { name: 'capitals v2' } })
    ).json();
    expect(renamed.name).toBe('capitals v2');
    const list = await (await api.call('GET', '/v1/evals?order=desc&limit=100')).json();
    expect(list.data.map((e: { id: string }) => e.id)).toContain(body.id);
    const del = await api.call('DELETE', `/v1/evals/${body.id}`);
    expect(await del.json()).toEqual({ object: 'eval.deleted', deleted: true, eval_id: body.id });
    expect((await api.call('GET', `/v1/evals/${body.id}`)).status).toBe(404);
  });

  it("keeps tenants apart: another tenant's eval and runs are 404s", async () => {
    const { body: e } = await createEval();
    expect((await api.call('GET', `/v1/evals/${e.id}`, { key: api.keyB })).status).toBe(404);
    const run = await api.call('POST', `/v1/evals/${e.id}/runs`, {
      key: api.keyB,
      json: { data_source: { type: 'jsonl', source: { type: 'file_content', content: ROWS } } },
    });
    expect(run.status).toBe(404);
    const mine = await (
      await api.call('POST', `/v1/evals/${e.id}/runs`, {
        json: { data_source: { type: 'jsonl', source: { type: 'file_content', content: ROWS } } },
      })
    ).json();
    expect((await api.call('GET', `/v1/evals/${e.id}/runs/${mine.id}`, { key: api.keyB })).status).toBe(404);
    expect(
      (await api.call('GET', `/v1/evals/${e.id}/runs/${mine.id}/output_items`, { key: api.keyB })).status,
    ).toBe(404);
    const listB = await (await api.call('GET', '/v1/evals?limit=100', { key: api.keyB })).json();
    expect(listB.data.map((x: { id: string }) => x.id)).not.toContain(e.id);
  });
});

describe('bad definitions are 400s naming the field', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    [
      'an unknown grader type',
      { testing_criteria: [{ type: 'regex', name: 'r' }] },
      'testing_criteria[0].type',
      /must be|string_check/,
    ],
    [
      'a python grader',
      { testing_criteria: [{ type: 'python', name: 'p', source: 'def grade(s, i): return 1' }] },
      'testing_criteria[0].type',
      /no user-supplied code/,
    ],
    [
      'a reference to an item property the schema lacks',
      { testing_criteria: [{ ...exact, reference: '{{item.anwser}}' }] },
      'testing_criteria[0].reference',
      /anwser/,
    ],
    [
      'an unknown namespace',
      { testing_criteria: [{ ...exact, input: '{{output_text}}' }] },
      'testing_criteria[0].input',
      /namespace/,
    ],
    [
      'an unknown sample variable',
      { testing_criteria: [{ ...exact, input: '{{sample.text}}' }] },
      'testing_criteria[0].input',
      /output_text/,
    ],
    [
      'text_similarity without pass_threshold',
      {
        testing_criteria: [
          {
            type: 'text_similarity',
            name: 's',
            input: '{{sample.output_text}}',
            reference: '{{item.answer}}',
            evaluation_metric: 'bleu',
          },
        ],
      },
      'testing_criteria[0].pass_threshold',
      /.+/,
    ],
    [
      'a logs data source',
      { data_source_config: { type: 'logs' } },
      'data_source_config.type',
      /does not keep/,
    ],
    ['no criteria', { testing_criteria: [] }, 'testing_criteria', /.+/],
  ];

  it.each(cases)('%s', async (_what, body, param, message) => {
    const { res, body: out } = await createEval(body);
    expect(res.status, JSON.stringify(out)).toBe(400);
    expect(out.error.param).toBe(param);
    expect(out.error.message).toMatch(message);
  });

  it('a run whose rows break the item schema, or lack the sample the criteria read, is a 400 naming the row', async () => {
    const { body: e } = await createEval();
    const bad = await api.call('POST', `/v1/evals/${e.id}/runs`, {
      json: {
        data_source: {
          type: 'jsonl',
          source: { type: 'file_content', content: [{ item: { question: 'q' } }] },
        },
      },
    });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).param).toBe('data_source.source.content[0].item');
    const noSample = await api.call('POST', `/v1/evals/${e.id}/runs`, {
      json: {
        data_source: { type: 'jsonl', source: { type: 'file_content', content: [{ item: ROWS[0].item }] } },
      },
    });
    expect((await errorOf(noSample)).param).toBe('data_source.source.content[0].sample');
    const noModel = await api.call('POST', `/v1/evals/${e.id}/runs`, {
      json: {
        data_source: {
          type: 'completions',
          model: 'tuneplane-tiny-char',
          input_messages: { type: 'template', template: [{ role: 'user', content: '{{item.question}}' }] },
          source: { type: 'file_content', content: [{ item: ROWS[0].item }] },
        },
      },
    });
    expect(noModel.status).toBe(400);
    expect((await errorOf(noModel)).param).toBe('data_source.model');
    const missingFile = await api.call('POST', `/v1/evals/${e.id}/runs`, {
      json: { data_source: { type: 'jsonl', source: { type: 'file_id', id: 'file-nope' } } },
    });
    expect(missingFile.status).toBe(404);
    expect((await errorOf(missingFile)).param).toBe('data_source.source.id');
  });

  it('inline rows past what a run record holds are a 400 pointing at file_id, not a failed write', async () => {
    const { body: e } = await createEval();
    const long = 'x'.repeat(300);
    const content = Array.from({ length: 1000 }, () => ({
      item: { ...ROWS[0].item, question: long },
      sample: ROWS[0].sample,
    }));
    const res = await api.call('POST', `/v1/evals/${e.id}/runs`, {
      json: { data_source: { type: 'jsonl', source: { type: 'file_content', content } } },
    });
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.param).toBe('data_source.source.content');
    expect(err.message).toContain('file_id');
  });
});

describe('runs', () => {
  it('grades given samples in the background: counts, per-criterion results, output items, report', async () => {
    const { body: e } = await createEval({
      testing_criteria: [exact, { ...exact, name: 'contains, any case', operation: 'ilike' }],
    });
    const created = await api.call('POST', `/v1/evals/${e.id}/runs`, {
      json: {
        name: 'given',
        data_source: { type: 'jsonl', source: { type: 'file_content', content: ROWS } },
      },
    });
    expect(created.status).toBe(201);
    const queued = await created.json();
    expect(queued).toMatchObject({ object: 'eval.run', eval_id: e.id, model: null, name: 'given' });
    const run = await waitForRun(e.id, queued.id, (s) => s === 'completed');
    expect(run.result_counts).toEqual({ total: 5, passed: 3, failed: 2, errored: 0 });
    expect(run.per_testing_criteria_results).toEqual([
      { testing_criteria: 'exact', passed: 3, failed: 2 },
      { testing_criteria: 'contains, any case', passed: 4, failed: 1 },
    ]);

    const items = await (
      await api.call('GET', `/v1/evals/${e.id}/runs/${run.id}/output_items?limit=2`)
    ).json();
    expect(items.data.map((i: { datasource_item_id: number }) => i.datasource_item_id)).toEqual([0, 1]);
    expect(items.has_more).toBe(true);
    expect(items.data[1]).toMatchObject({
      object: 'eval.run.output_item',
      run_id: run.id,
      eval_id: e.id,
      status: 'fail',
      datasource_item: ROWS[1].item,
      results: [
        { name: 'exact', type: 'string_check', score: 0, passed: false, sample: null },
        { name: 'contains, any case', type: 'string_check', score: 0, passed: false, sample: null },
      ],
      sample: { output: [{ role: 'assistant', content: 'Milan' }], error: null },
    });
    const next = await (
      await api.call('GET', `/v1/evals/${e.id}/runs/${run.id}/output_items?after=${items.last_id}`)
    ).json();
    expect(next.data.map((i: { datasource_item_id: number }) => i.datasource_item_id)).toEqual([2, 3, 4]);
    const failed = await (
      await api.call('GET', `/v1/evals/${e.id}/runs/${run.id}/output_items?status=fail`)
    ).json();
    expect(failed.data.map((i: { datasource_item_id: number }) => i.datasource_item_id)).toEqual([1, 4]);
    const one = await (
      await api.call('GET', `/v1/evals/${e.id}/runs/${run.id}/output_items/${items.data[0].id}`)
    ).json();
    expect(one).toEqual(items.data[0]);

    // report_url opens without an API key; another token opens nothing.
    const report = await api.app.request(run.report_url);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toMatch(/text\/html/);
    const page = await report.text();
    expect(page).toContain('3 passed, 2 failed, 0 errored of 5 rows');
    expect(page).toContain('Milan');
    const json = await (await api.app.request(`${run.report_url}&format=json`)).json();
    expect((json as { run: { result_counts: { passed: number } } }).run.result_counts.passed).toBe(3);
    const wrong = await api.app.request(run.report_url.replace(/token=[^&]+/, 'token=nope'));
    expect(wrong.status).toBe(404);

    const outbox = await api.deps.stores.outbox.listPending(1000);
    expect(outbox.filter((o) => o.subjectId === run.id).map((o) => o.type)).toEqual(['eval.run.succeeded']);
  });

  it('reads rows from an uploaded JSONL file, wrapped ({"item": …}) or bare', async () => {
    const { body: e } = await createEval();
    const lines = [
      JSON.stringify(ROWS[0]),
      '',
      JSON.stringify({ item: ROWS[1].item, sample: { output_text: 'Rome' } }),
      '{not json',
      JSON.stringify({ question: 'bare row', answer: 'x' }),
    ];
    const file = await (
      await api.upload(lines.join('\n'), { purpose: 'evals', filename: 'rows.jsonl' })
    ).json();
    const queued = await (
      await api.call('POST', `/v1/evals/${e.id}/runs`, {
        json: { data_source: { type: 'jsonl', source: { type: 'file_id', id: file.id } } },
      })
    ).json();
    const run = await waitForRun(e.id, queued.id, (s) => s === 'completed');
    // The bare row has no sample: its criterion cannot read {{sample.output_text}}.
    expect(run.result_counts).toEqual({ total: 4, passed: 2, failed: 0, errored: 2 });
    const items = await (await api.call('GET', `/v1/evals/${e.id}/runs/${run.id}/output_items`)).json();
    expect(items.data[2].sample.error).toMatchObject({ code: 'invalid_row' });
    expect(items.data[3].sample.error.message).toMatch(/no sample/);
  });

  it('samples an OpenAI model on each row and grades it with a judge, counting usage per model', async () => {
    const { body: e } = await createEval({
      testing_criteria: [
        exact,
        {
          type: 'score_model',
          name: 'judge',
          model: 'gpt-4o-mini-2024-07-18',
          input: [
            {
              role: 'user',
              content: 'Is "{{sample.output_text}}" the answer "{{item.answer}}"? Score 0 to 1.',
            },
          ],
          pass_threshold: 0.5,
        },
      ],
    });
    openai.answer = (model, messages) => {
      const last = messages.at(-1)!.content;
      if (model.startsWith('gpt-4o-mini'))
        return /"(\w+)" the answer "\1"/.test(last) ? '{"result": 1}' : '0';
      return last.includes('France') ? 'Paris' : 'I do not know';
    };
    const before = openai.chatRequests.length;
    const queued = await (
      await api.call('POST', `/v1/evals/${e.id}/runs`, {
        json: {
          data_source: {
            type: 'completions',
            model: 'gpt-4.1-nano',
            input_messages: {
              type: 'template',
              template: [
                { role: 'system', content: 'Answer with the city only.' },
                { role: 'user', content: '{{item.question}}' },
              ],
            },
            sampling_params: { temperature: 0, seed: 7, max_completion_tokens: 16 },
            source: { type: 'file_content', content: ROWS.slice(0, 3).map((r) => ({ item: r.item })) },
          },
        },
      })
    ).json();
    expect(queued.model).toBe('gpt-4.1-nano');
    const run = await waitForRun(e.id, queued.id, (s) => s === 'completed');
    expect(run.result_counts).toEqual({ total: 3, passed: 1, failed: 2, errored: 0 });
    const usage = Object.fromEntries(
      run.per_model_usage.map((u: { model_name: string }) => [u.model_name, u]),
    );
    expect(usage['gpt-4.1-nano'].invocation_count).toBe(3);
    expect(usage['gpt-4o-mini-2024-07-18'].invocation_count).toBe(3);
    expect(openai.chatRequests.length - before).toBe(6);
    const first = (await (await api.call('GET', `/v1/evals/${e.id}/runs/${run.id}/output_items`)).json())
      .data[0];
    expect(first.sample).toMatchObject({
      input: [
        { role: 'system', content: 'Answer with the city only.' },
        { role: 'user', content: 'Capital of France?' },
      ],
      output: [{ role: 'assistant', content: 'Paris' }],
      model: 'gpt-4.1-nano',
      temperature: 0,
      seed: 7,
      max_completion_tokens: 16,
    });
    expect(first.results[1]).toMatchObject({ name: 'judge', type: 'score_model', score: 1, passed: true });
  });

  it('cancels a run: it stops, says canceled, and its webhook is queued once', async () => {
    const { body: e } = await createEval();
    const many = Array.from({ length: 300 }, (_, i) => ({
      item: { question: `q${i}`, answer: 'a' },
      sample: { output_text: 'a' },
    }));
    const queued = await (
      await api.call('POST', `/v1/evals/${e.id}/runs`, {
        json: { data_source: { type: 'jsonl', source: { type: 'file_content', content: many } } },
      })
    ).json();
    const canceled = await (await api.call('POST', `/v1/evals/${e.id}/runs/${queued.id}`)).json();
    expect(canceled.status).toBe('canceled');
    await worker.idle();
    const after = await (await api.call('GET', `/v1/evals/${e.id}/runs/${queued.id}`)).json();
    expect(after.status).toBe('canceled');
    expect(after.result_counts.total).toBeLessThan(300);
    const again = await api.call('POST', `/v1/evals/${e.id}/runs/${queued.id}`);
    expect((await again.json()).status).toBe('canceled');
    const outbox = await api.deps.stores.outbox.listPending(1000);
    expect(outbox.filter((o) => o.subjectId === queued.id).map((o) => o.type)).toEqual(['eval.run.canceled']);
    const del = await (await api.call('DELETE', `/v1/evals/${e.id}/runs/${queued.id}`)).json();
    expect(del).toEqual({ object: 'eval.run.deleted', deleted: true, run_id: queued.id });
    expect((await api.call('GET', `/v1/evals/${e.id}/runs/${queued.id}`)).status).toBe(404);
  });

  it('lists runs oldest first, filters by status', async () => {
    const { body: e } = await createEval();
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await (
        await api.call('POST', `/v1/evals/${e.id}/runs`, {
          json: { data_source: { type: 'jsonl', source: { type: 'file_content', content: ROWS } } },
        })
      ).json();
      ids.push(r.id);
      await waitForRun(e.id, r.id, (s) => s === 'completed');
    }
    const list = await (await api.call('GET', `/v1/evals/${e.id}/runs`)).json();
    expect(list.data.map((r: { id: string }) => r.id)).toEqual(ids);
    const desc = await (await api.call('GET', `/v1/evals/${e.id}/runs?order=desc&status=completed`)).json();
    expect(desc.data.map((r: { id: string }) => r.id)).toEqual([...ids].reverse());
    const none = await (await api.call('GET', `/v1/evals/${e.id}/runs?status=failed`)).json();
    expect(none.data).toEqual([]);
  });
});
