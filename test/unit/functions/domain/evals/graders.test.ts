/** Graders behind their one interface: templates, string checks, the multi formula, model graders' parsing. */
import { describe, expect, it } from 'vitest';
import type { GraderDefinition } from '../../../../../openapi/schemas/eval-graders';
import { ValidationError } from '../../../../../functions/errors';
import { buildGrader, evaluateFormula, parseFormula } from '../../../../../functions/domain/evals/graders';
import { parseLabel } from '../../../../../functions/domain/evals/graders/label-model';
import { parseScore } from '../../../../../functions/domain/evals/graders/score-model';
import { render, sampleNamespace, TemplateError } from '../../../../../functions/domain/evals/template';
import type { ModelSampler } from '../../../../../functions/ports/sampler';

const grade = (
  def: GraderDefinition,
  item: Record<string, unknown>,
  output: string,
  sampler?: ModelSampler,
) => buildGrader(def).grade({ tenantId: 't', vars: { item, sample: sampleNamespace(output) }, sampler });

describe('templates', () => {
  const vars = {
    item: { q: 'Capital of France?', a: { b: [10, { c: 'deep' }] }, n: 3 },
    sample: sampleNamespace('{"city": "Paris", "tags": ["x"]}'),
  };

  it('renders item and sample references, nested by JSON path, with or without spaces', () => {
    expect(render('Q: {{item.q}} / {{ item.a.b[1].c }} / {{item.n}}', vars)).toBe(
      'Q: Capital of France? / deep / 3',
    );
    expect(render('{{sample.output_json.city}} {{ sample.output_json["tags"][0] }}', vars)).toBe('Paris x');
    expect(render('{{item.a.b}}', vars)).toBe('[10,{"c":"deep"}]');
  });

  it('refuses unknown namespaces and missing variables, naming the reference', () => {
    expect(() => render('{{items.q}}', vars)).toThrow(TemplateError);
    expect(() => render('{{item.nope}}', vars)).toThrow(/item.nope/);
    expect(() => render('{{sample.output_text}}', { item: {} })).toThrow(/no sample/);
  });

  it('gives output_json only when the output is JSON', () => {
    expect(sampleNamespace('plain').output_json).toBeUndefined();
    expect(sampleNamespace('[1,2]').output_json).toEqual([1, 2]);
  });
});

describe('string_check', () => {
  const check = (operation: 'eq' | 'ne' | 'like' | 'ilike') =>
    ({
      type: 'string_check',
      name: 'c',
      input: '{{sample.output_text}}',
      reference: '{{item.ref}}',
      operation,
    }) as const;

  it.each([
    ['eq', 'Paris', 'Paris', 1],
    ['eq', 'paris', 'Paris', 0],
    ['ne', 'paris', 'Paris', 1],
    ['ne', 'Paris', 'Paris', 0],
    ['like', 'It is Paris.', 'Paris', 1],
    ['like', 'It is paris.', 'Paris', 0],
    ['ilike', 'IT IS PARIS.', 'Paris', 1],
    ['ilike', 'Lyon', 'Paris', 0],
  ] as const)('%s(%j, %j) = %d', async (op, output, ref, want) => {
    const r = await grade(check(op), { ref }, output);
    expect(r.score).toBe(want);
    expect(r.passed).toBe(want === 1);
  });
});

describe('text_similarity', () => {
  it('passes at or above pass_threshold', async () => {
    const def: GraderDefinition = {
      type: 'text_similarity',
      name: 's',
      input: '{{sample.output_text}}',
      reference: '{{item.ref}}',
      evaluation_metric: 'rouge_1',
      pass_threshold: 0.5,
    };
    expect((await grade(def, { ref: 'testing one two' }, 'testing')).passed).toBe(true);
    expect((await grade(def, { ref: 'testing one two three' }, 'testing')).passed).toBe(false);
  });
});

describe('multi: the formula', () => {
  it('has the documented operators and functions, with Python-like precedence', () => {
    const v = { a: 0.5, b: 0.25 };
    const f = (src: string) => evaluateFormula(parseFormula(src, ['a', 'b']), v);
    expect(f('(a + b) / 2')).toBeCloseTo(0.375, 12);
    expect(f('0.5 * a + 0.5 * b')).toBeCloseTo(0.375, 12);
    expect(f('2 ^ 3 ^ 2')).toBe(512);
    expect(f('-2 ^ 2')).toBe(-4);
    expect(f('min(a, b, 1) + max(a, b) - abs(-1) + floor(1.7) + ceil(0.2)')).toBeCloseTo(
      0.25 + 0.5 - 1 + 1 + 1,
      12,
    );
    expect(f('exp(log(2)) + sqrt(16)')).toBeCloseTo(6, 12);
    expect(f('1e-1 * 10')).toBeCloseTo(1, 12);
  });

  it.each([
    ['a + c', /unknown name "c"/],
    ['sin(a)', /unknown function "sin"/],
    ['a.constructor', /unexpected character "\."/],
    ['"a"', /unexpected character/],
    ['(a + b', /expected "\)"/],
    ['a b', /unexpected "b"/],
    ['abs(a, b)', /abs takes 1 argument/],
  ])('refuses %j', (src, message) => {
    expect(() => parseFormula(src, ['a', 'b'])).toThrow(message);
  });

  it('combines its graders by key and reports the sub-scores', async () => {
    const def: GraderDefinition = {
      type: 'multi',
      name: 'm',
      graders: {
        exact: {
          type: 'string_check',
          name: 'e',
          input: '{{sample.output_text}}',
          reference: '{{item.a}}',
          operation: 'eq',
        },
        close: {
          type: 'text_similarity',
          name: 'f',
          input: '{{sample.output_text}}',
          reference: '{{item.a}}',
          evaluation_metric: 'rouge_1',
        },
      },
      calculate_output: '0.5 * exact + 0.5 * close',
    };
    const r = await grade(def, { a: 'testing one two' }, 'testing');
    expect(r.subScores).toEqual({ exact: 0, close: 0.5 });
    expect(r.score).toBeCloseTo(0.25, 12);
  });

  it('refuses a bad formula at build time, naming calculate_output', () => {
    const def: GraderDefinition = {
      type: 'multi',
      name: 'm',
      graders: { x: { type: 'string_check', name: 'x', input: 'a', reference: 'a', operation: 'eq' } },
      calculate_output: 'x + y',
    };
    const err = (() => {
      try {
        buildGrader(def, 'grader');
      } catch (e) {
        return e as ValidationError;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect(err?.param).toBe('grader.calculate_output');
  });
});

describe('model graders', () => {
  /** A judge that answers with fixed text: these tests are about reading its answer, not calling a model. */
  const judge = (text: string): ModelSampler => ({
    serves: async (_t, m) => m === 'judge',
    complete: async (req) => ({
      text,
      finish_reason: 'stop',
      model: req.model,
      usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12, cached_tokens: 0 },
    }),
  });

  it('score_model reads a number (or OpenAI\'s {"result": n}), clips it to the range, and keeps the usage', async () => {
    expect(parseScore('I would say 0.8 because')).toBe(0.8);
    expect(parseScore('{"steps": [], "result": 7}')).toBe(7);
    expect(parseScore('no idea')).toBeNull();
    const def: GraderDefinition = {
      type: 'score_model',
      name: 'judge',
      model: 'judge',
      input: [{ role: 'user', content: 'Rate {{sample.output_text}} against {{item.ref}}' }],
      range: [0, 10],
      pass_threshold: 6,
    };
    const r = await grade(def, { ref: 'x' }, 'y', judge('Score: 42'));
    expect(r.score).toBe(10);
    expect(r.passed).toBe(true);
    expect(r.usage.judge.invocation_count).toBe(1);
    expect(r.detail?.input).toEqual([{ role: 'user', content: 'Rate y against x' }]);
  });

  it('label_model finds the label and passes on passing_labels', async () => {
    expect(parseLabel('positive', ['positive', 'negative'])).toBe('positive');
    expect(parseLabel('"Negative."', ['positive', 'negative'])).toBe('negative');
    expect(parseLabel('I think it is negative overall', ['positive', 'negative'])).toBe('negative');
    expect(parseLabel('{"result": "positive"}', ['positive', 'negative'])).toBe('positive');
    expect(parseLabel('unsure', ['positive', 'negative'])).toBeNull();
    const def: GraderDefinition = {
      type: 'label_model',
      name: 'sentiment',
      model: 'judge',
      input: [{ role: 'user', content: '{{sample.output_text}}' }],
      labels: ['positive', 'negative'],
      passing_labels: ['positive'],
    };
    expect((await grade(def, {}, 'great', judge('positive'))).passed).toBe(true);
    expect((await grade(def, {}, 'bad', judge('negative'))).passed).toBe(false);
  });

  it('fails with a model_grader_server error when no sampler serves the model', async () => {
    const def: GraderDefinition = {
      type: 'score_model',
      name: 'j',
      model: 'gpt-4o',
      input: [{ role: 'user', content: 'x' }],
    };
    await expect(grade(def, {}, 'y', judge('1'))).rejects.toMatchObject({ kind: 'model_grader_server' });
  });
});
