/**
 * Evaluating our own models as a user does it: `npm start`, the official `openai` SDK fine-tunes
 * the built-in base model on a small task (the capital-city chats of inference.test.ts), creates
 * an eval with a string_check criterion, and runs it with a `completions` data source — sampled by
 * the embedded stack's inference worker — on the base model, the `ft:` model and the job's newest
 * checkpoint. The tuned model's pass rate is higher than the base model's; the run results (counts,
 * per-criterion results, per-model usage, output items with the sampled text) are listed through
 * the SDK. A label_model criterion whose judge is the tuned model grades given samples.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli';
import { CAPITALS, CAPITALS_BASE, tuneOnCapitals } from '../../support/capitals';
import { freePort, start, stop, type Running } from '../../support/npm-start';

let stack: Running;
let client: OpenAI;
let tuned: string;
let jobId: string;
let capitalsEval: string;

beforeAll(async () => {
  stack = await start({
    PORT: String(await freePort()),
    TUNEPLANE_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'tuneplane-evals-tuned-')),
    TUNEPLANE_API_KEY: 'tp_evals_tuned_test_key_0123',
  });
  client = new OpenAI({ apiKey: stack.apiKey, baseURL: stack.baseUrl, maxRetries: 0 });
  ({ jobId, tuned } = await tuneOnCapitals(client, { timeoutMs: 300_000, output: stack.output }));
}, 360_000);

afterAll(async () => {
  if (stack) await stop(stack);
});

async function finished(evalId: string, runId: string) {
  const end = Date.now() + 120_000;
  for (;;) {
    const run = await client.evals.runs.retrieve(runId, { eval_id: evalId });
    if (!['queued', 'in_progress'].includes(run.status)) return run;
    if (Date.now() > end) throw new Error(`run ${runId} still ${run.status}\n${stack.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const items = CAPITALS.map(([question, answer]) => ({ item: { question, answer } }));
const completions = (model: string): OpenAI.Evals.RunCreateParams['data_source'] => ({
  type: 'completions',
  model,
  input_messages: { type: 'template', template: [{ role: 'user', content: '{{item.question}}' }] },
  sampling_params: { temperature: 0, max_completion_tokens: 16 },
  source: { type: 'file_content', content: items },
});

describe('evals over our own models on the embedded stack', () => {
  it('the tuned model passes more rows than its base model; its checkpoint can be run too', async () => {
    const e = await client.evals.create({
      name: 'capitals',
      data_source_config: {
        type: 'custom',
        item_schema: {
          type: 'object',
          properties: { question: { type: 'string' }, answer: { type: 'string' } },
          required: ['question', 'answer'],
        },
        include_sample_schema: true,
      },
      testing_criteria: [
        {
          type: 'string_check',
          name: 'exact capital',
          input: '{{sample.output_text}}',
          reference: '{{item.answer}}',
          operation: 'eq',
        },
      ],
    });
    capitalsEval = e.id;
    const checkpoint = (await client.fineTuning.jobs.checkpoints.list(jobId)).data[0]
      .fine_tuned_model_checkpoint;
    const started = Date.now();
    const runs = await Promise.all(
      [CAPITALS_BASE, tuned, checkpoint].map((model) =>
        client.evals.runs.create(e.id, { name: model, data_source: completions(model) }),
      ),
    );
    const [base, ft, ckpt] = await Promise.all(runs.map((r) => finished(e.id, r.id)));
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `sampled ${3 * CAPITALS.length} rows over 3 models in ${seconds.toFixed(1)} s (${((3 * CAPITALS.length) / seconds).toFixed(1)} rows/s, the three runs side by side)`,
    );
    for (const run of [base, ft, ckpt]) {
      expect(run.status, JSON.stringify(run.error)).toBe('completed');
      expect(run.result_counts.total).toBe(CAPITALS.length);
      expect(run.result_counts.errored).toBe(0);
    }
    const rate = (r: typeof base) => r.result_counts.passed / r.result_counts.total;
    console.log(`pass rates: base ${rate(base)}, ${tuned} ${rate(ft)}, ${checkpoint} ${rate(ckpt)}`);
    expect(rate(ft)).toBeGreaterThan(rate(base));
    expect(rate(ft)).toBeGreaterThanOrEqual(0.8);
    expect(ft.per_testing_criteria_results).toEqual([
      { testing_criteria: 'exact capital', passed: ft.result_counts.passed, failed: ft.result_counts.failed },
    ]);
    // Usage is per sampled model, one invocation per row.
    expect(ft.per_model_usage.map((u) => [u.model_name, u.invocation_count])).toEqual([
      [tuned, CAPITALS.length],
    ]);
    expect(ft.per_model_usage[0].completion_tokens).toBeGreaterThan(0);

    // The output items hold what the tuned model said, through the SDK's pagination.
    const out: {
      status: string;
      datasource_item: Record<string, unknown>;
      sample: { output: { content?: string }[] };
    }[] = [];
    for await (const item of client.evals.runs.outputItems.list(ft.id, { eval_id: e.id, limit: 4 }))
      out.push(item as never);
    expect(out).toHaveLength(CAPITALS.length);
    const paris = out.find((i) => i.datasource_item.answer === 'Paris')!;
    expect(paris.sample.output[0].content).toBe('Paris');
    expect(paris.status).toBe('pass');
  }, 240_000);

  it('a label_model criterion can use the tuned model as its judge', async () => {
    const e = await client.evals.create({
      name: 'judged by the tuned model',
      data_source_config: {
        type: 'custom',
        item_schema: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
        include_sample_schema: true,
      },
      testing_criteria: [
        {
          type: 'label_model',
          name: 'european capital',
          model: tuned,
          // The judge answers the question; its answer is the label.
          input: [{ role: 'user', content: '{{item.question}}' }],
          labels: CAPITALS.map(([, a]) => a),
          passing_labels: ['Paris', 'Madrid', 'Rome', 'Oslo'],
        },
      ],
    });
    const run = await client.evals.runs.create(e.id, {
      data_source: {
        type: 'jsonl',
        source: {
          type: 'file_content',
          content: CAPITALS.map(([question]) => ({ item: { question }, sample: { output_text: '' } })),
        },
      },
    });
    const done = await finished(e.id, run.id);
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    // European capitals pass, the others fail; the tuned judge may miss one of ten.
    expect(done.result_counts.passed).toBeGreaterThanOrEqual(3);
    expect(done.result_counts.passed).toBeLessThanOrEqual(5);
    expect(done.per_model_usage.map((u) => [u.model_name, u.invocation_count])).toEqual([
      [tuned, CAPITALS.length],
    ]);
  }, 120_000);

  it('`tuneplane evals compare --job` runs the eval over the base model, the ft: model and each checkpoint', async () => {
    const out = await runCli(stack.baseUrl, stack.apiKey, [
      'evals',
      'compare',
      capitalsEval,
      '--job',
      jobId,
      '--rows',
      JSON.stringify(items),
      '--input-messages',
      JSON.stringify([{ role: 'user', content: '{{item.question}}' }]),
      '--temperature',
      '0',
      '--max-completion-tokens',
      '16',
      '--interval',
      '300',
    ]);
    expect(out.code, out.stderr).toBe(0);
    const rows = out.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s{2,}/));
    const passed = new Map(rows.map((r) => [r[0], Number.parseFloat(r[2])]));
    expect(passed.get(tuned)).toBeGreaterThanOrEqual(80);
    expect(passed.get(tuned)).toBeGreaterThan(passed.get(CAPITALS_BASE)!);
    const checkpoints = (await client.fineTuning.jobs.checkpoints.list(jobId)).data;
    for (const c of checkpoints) expect(passed.has(c.fine_tuned_model_checkpoint)).toBe(true);
    for (const r of rows) expect(r[1]).toBe('completed');
  }, 180_000);
});
