/** /v1/fine_tuning/alpha/graders/run and /validate over the app, OpenAI's shapes; bad definitions are 400s naming the field. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startApi, type ApiHarness } from './support';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.stop());

const fuzzy = {
  type: 'text_similarity',
  name: 'close enough',
  input: '{{sample.output_text}}',
  reference: '{{item.reference_answer}}',
  evaluation_metric: 'fuzzy_match',
};

describe('POST /v1/fine_tuning/alpha/graders/run', () => {
  it('grades a sample and answers with reward, metadata and sub_rewards', async () => {
    const res = await api.call('POST', '/v1/fine_tuning/alpha/graders/run', {
      json: {
        grader: fuzzy,
        item: { reference_answer: 'this is a new test!!!' },
        model_sample: 'this is a test',
      },
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    // default_process drops the "!!!": every word of one is in the other, so token_set_ratio × 0.95.
    expect(body.reward).toBeCloseTo(0.95, 10);
    expect(body.metadata).toMatchObject({
      name: 'close enough',
      type: 'text_similarity',
      scores: { 'close enough': body.reward },
      token_usage: null,
      sampled_model_name: null,
    });
    expect(body.metadata.errors.invalid_variable_error).toBe(false);
    expect(body.sub_rewards).toEqual({});
  });

  it('runs a multi grader and returns its sub-rewards', async () => {
    const res = await api.call('POST', '/v1/fine_tuning/alpha/graders/run', {
      json: {
        grader: {
          type: 'multi',
          name: 'both',
          graders: {
            name: {
              ...fuzzy,
              name: 'name',
              input: '{{sample.output_json.name}}',
              reference: '{{item.name}}',
            },
            email: {
              type: 'string_check',
              name: 'email',
              input: '{{sample.output_json.email}}',
              reference: '{{item.email}}',
              operation: 'eq',
            },
          },
          calculate_output: '(name + email) / 2',
        },
        item: { name: 'John Doe', email: 'john.doe@example.com' },
        model_sample: '{"name": "john doe", "email": "john.doe@example.com"}',
      },
    });
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(body.sub_rewards).toEqual({ name: 1, email: 1 });
    expect(body.reward).toBe(1);
  });

  it('reports a variable the sample lacks as invalid_variable_error with reward 0, as OpenAI does', async () => {
    const res = await api.call('POST', '/v1/fine_tuning/alpha/graders/run', {
      json: { grader: { ...fuzzy, reference: '{{item.missing}}' }, model_sample: 'x' },
    });
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(body.reward).toBe(0);
    expect(body.metadata.errors.invalid_variable_error).toBe(true);
  });

  it('reports a judge model nobody serves as a model_grader_server_error', async () => {
    const res = await api.call('POST', '/v1/fine_tuning/alpha/graders/run', {
      json: {
        grader: {
          type: 'score_model',
          name: 'j',
          model: 'gpt-4o-2024-08-06',
          input: [{ role: 'user', content: 'Rate {{sample.output_text}}' }],
        },
        model_sample: 'x',
      },
    });
    const body = await res.json();
    expect(body.metadata.errors.model_grader_server_error).toBe(true);
    expect(body.metadata.errors.model_grader_server_error_details).toMatch(/gpt-4o-2024-08-06/);
  });
});

describe('bad grader definitions are 400s naming the field', () => {
  const cases: [string, unknown, string, RegExp][] = [
    [
      'a python grader',
      { type: 'python', name: 'p', source: 'def grade(s, i): return 1' },
      'grader.type',
      /no user-supplied code/,
    ],
    ['an unknown grader type', { type: 'regex', name: 'r' }, 'grader.type', /string_check|must be/],
    ['the cosine metric', { ...fuzzy, evaluation_metric: 'cosine' }, 'grader.evaluation_metric', /embedding/],
    ['a bad template namespace', { ...fuzzy, input: '{{answer}}' }, 'grader.input', /namespace/],
    [
      'a formula naming no grader',
      {
        type: 'multi',
        name: 'm',
        graders: { a: { ...fuzzy, name: 'a' } },
        calculate_output: 'a + b',
      },
      'grader.calculate_output',
      /unknown name "b"/,
    ],
    [
      'a passing label not among the labels',
      {
        type: 'label_model',
        name: 'l',
        model: 'm',
        input: [{ role: 'user', content: 'x' }],
        labels: ['a'],
        passing_labels: ['b'],
      },
      'grader.passing_labels[0]',
      /not one of labels/,
    ],
    [
      'an image part',
      {
        type: 'score_model',
        name: 's',
        model: 'm',
        input: [{ role: 'user', content: { type: 'input_image', image_url: 'https://x/y.png' } }],
      },
      'grader.input[0].content.type',
      /text only/,
    ],
  ];

  it.each(cases)('%s', async (_what, grader, param, message) => {
    for (const path of ['/v1/fine_tuning/alpha/graders/validate', '/v1/fine_tuning/alpha/graders/run']) {
      const res = await api.call('POST', path, {
        json: path.endsWith('validate') ? { grader } : { grader, model_sample: 'x' },
      });
      expect(res.status).toBe(400);
      const err = await errorOf(res);
      expect(err.param).toBe(param);
      expect(err.message).toMatch(message);
    }
  });

  it('validate echoes a good grader', async () => {
    const res = await api.call('POST', '/v1/fine_tuning/alpha/graders/validate', { json: { grader: fuzzy } });
    expect(res.status).toBe(200);
    expect((await res.json()).grader).toEqual(fuzzy);
  });
});
