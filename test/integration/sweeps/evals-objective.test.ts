/**
 * A sweep whose objective is an eval, on the embedded stack (`startLocalStack`, what `npm start`
 * runs), over HTTP: a grid of two learning rates fine-tunes the built-in base model on the
 * capital-city chats (as test/integration/e2e/inference.test.ts does); when a trial's job succeeds
 * the controller runs the eval on the trial's model — sampled by the inference worker, over the
 * base job's validation file, whose chat lines are the eval's items — and the trial's value is the
 * criterion's pass rate. The trial that learned the task is the sweep's best. Bad objectives are
 * 4xx naming the field.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLocalConfig } from '../../../infra/local/config';
import { startLocalStack, type LocalStack } from '../../../infra/local/stack';
import { CAPITALS, capitalsJsonl } from '../../support/capitals';
import { stackClient } from '../../support/stack-client';

const API_KEY = 'tp_sweep_eval_objective_0123';

let stack: LocalStack;
let dataDir: string;
let trainingFile: string;
let validationFile: string;
let evalId: string;

const { call, upload } = stackClient(() => stack.baseUrl, API_KEY);

const objective = (over: Record<string, unknown> = {}) => ({
  type: 'eval',
  eval_id: evalId,
  testing_criteria: 'exact capital',
  goal: 'maximize',
  input_messages: { type: 'template', template: [{ role: 'user', content: '{{item.messages[0].content}}' }] },
  sampling_params: { temperature: 0, max_completion_tokens: 16 },
  ...over,
});

const sweepRequest = (over: Record<string, unknown> = {}) => ({
  base_job: {
    model: 'tuneplane-tiny-char',
    training_file: trainingFile,
    validation_file: validationFile,
    seed: 1,
    method: {
      type: 'supervised',
      supervised: {
        hyperparameters: { n_epochs: 20, batch_size: 8, warmup_steps: 2, checkpoint_interval_steps: 1000 },
      },
    },
  },
  search_space: { learning_rate: { type: 'categorical', choices: [1e-5, 5e-3] } },
  objective: objective(),
  strategy: { type: 'grid' },
  limits: { max_trials: 2, max_parallel_trials: 2 },
  ...over,
});

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tuneplane-sweep-eval-'));
  stack = await startLocalStack(
    parseLocalConfig({
      PORT: '0',
      TUNEPLANE_DATA_DIR: dataDir,
      TUNEPLANE_API_KEY: API_KEY,
      TUNEPLANE_MAX_CONCURRENT_JOBS: '2',
      TUNEPLANE_BASE_MODELS_DIR: path.resolve('runner/base-models'),
    }),
  );
  trainingFile = await upload('capitals.jsonl', capitalsJsonl());
  validationFile = await upload('capitals-valid.jsonl', capitalsJsonl(1));
  const e = await call('POST', '/evals', {
    name: 'capitals',
    data_source_config: {
      type: 'custom',
      item_schema: {
        type: 'object',
        properties: { messages: { type: 'array', items: { type: 'object' } } },
        required: ['messages'],
      },
      include_sample_schema: true,
    },
    testing_criteria: [
      {
        type: 'string_check',
        name: 'exact capital',
        input: '{{sample.output_text}}',
        reference: '{{item.messages[1].content}}',
        operation: 'eq',
      },
    ],
  });
  expect(e.status, JSON.stringify(e.json)).toBe(201);
  evalId = e.json.id;
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a sweep whose objective is an eval', () => {
  it("evaluates each trial's model on the validation file and picks the trial that passes most", async () => {
    const created = await call('POST', '/fine_tuning/sweeps', sweepRequest());
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    expect(created.json.objective).toMatchObject({ type: 'eval', eval_id: evalId });
    const id = created.json.id as string;
    let sweep = created.json;
    const end = Date.now() + 420_000;
    while (['running', 'paused'].includes(sweep.status) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 1000));
      sweep = (await call('GET', `/fine_tuning/sweeps/${id}`)).json;
    }
    const trials = (await call('GET', `/fine_tuning/sweeps/${id}/trials`)).json.data;
    expect(sweep.status, JSON.stringify({ sweep, trials })).toBe('succeeded');
    expect(trials).toHaveLength(2);
    const byRate = new Map(
      trials.map((t: { parameters: { learning_rate: number } }) => [t.parameters.learning_rate, t]),
    );
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const [slow, fast] = [byRate.get(1e-5), byRate.get(5e-3)] as any[];
    for (const t of [slow, fast]) {
      expect(t.state).toBe('complete');
      // The trial's value is its eval run's pass rate on the criterion.
      const run = (await call('GET', `/evals/${evalId}/runs/${t.eval_run_id}`)).json;
      expect(run).toMatchObject({ status: 'completed', model: t.fine_tuned_model });
      expect(run.metadata).toEqual({ sweep_id: id, sweep_trial: String(t.number) });
      expect(run.result_counts.total).toBe(CAPITALS.length);
      const c = run.per_testing_criteria_results[0];
      expect(t.objective_value).toBe(c.passed / (c.passed + c.failed));
      expect(t.reports).toEqual([]);
    }
    console.log(`pass rates: learning rate 1e-5 ${slow.objective_value}, 5e-3 ${fast.objective_value}`);
    expect(fast.objective_value).toBeGreaterThanOrEqual(0.8);
    expect(fast.objective_value).toBeGreaterThan(slow.objective_value);
    expect(sweep.best_trial).toMatchObject({
      trial_number: fast.number,
      objective_value: fast.objective_value,
    });
  }, 480_000);

  it.each([
    ['an unknown eval', () => ({ objective: objective({ eval_id: 'eval_nope' }) }), 404, 'objective.eval_id'],
    [
      'a criterion the eval lacks',
      () => ({ objective: objective({ testing_criteria: 'fluency' }) }),
      400,
      'objective.testing_criteria',
    ],
    ['early stopping', () => ({ early_stopping: { type: 'median' } }), 400, 'early_stopping.type'],
    [
      'a template naming what the items lack',
      () => ({
        objective: objective({
          input_messages: { type: 'template', template: [{ role: 'user', content: '{{item.question}}' }] },
        }),
      }),
      400,
      'objective.input_messages.template',
    ],
    [
      'a rows file that does not exist',
      () => ({ objective: objective({ source: { type: 'file_id', id: 'file-nope' } }) }),
      404,
      'objective.source.id',
    ],
  ])('refuses %s, naming the field', async (_what, over, status, param) => {
    // Built when the test runs: the eval exists by then.
    const res = await call('POST', '/fine_tuning/sweeps', sweepRequest(over()));
    expect(res.status, JSON.stringify(res.json)).toBe(status);
    expect(res.json.error.param).toMatch(new RegExp(`^${param.replaceAll('.', '\\.')}`));
  });

  it('refuses an eval objective without rows: no source and no validation file', async () => {
    const req = sweepRequest();
    const { validation_file: _dropped, ...baseJob } = req.base_job;
    const res = await call('POST', '/fine_tuning/sweeps', { ...req, base_job: baseJob });
    expect(res.status).toBe(400);
    expect(res.json.error.param).toBe('objective.source');
  });
});
