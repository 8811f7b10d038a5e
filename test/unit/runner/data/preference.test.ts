import { describe, expect, it } from 'vitest';
import { collate, loadDataset, renderChat } from '../../../../runner/data';
import { exampleRange } from '../../../../runner/data/examples';
import { DataError } from '../../../../runner/errors';
import { charTokenizer as tok } from '../train/helpers';

const jsonl = (...rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n');
const learned = (ids: number[], target: number[]) => ids.filter((_, i) => target[i] === 1);
const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });
const openAiPair = (prompt: string, good: string, bad: string) => ({
  input: { messages: [user(prompt)], tools: [], parallel_tool_calls: true },
  preferred_output: [assistant(good)],
  non_preferred_output: [assistant(bad)],
});

function dataError(content: string): DataError {
  try {
    loadDataset(content, tok, { maxLength: 64 });
  } catch (e) {
    if (e instanceof DataError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe("OpenAI's preference format", () => {
  it('becomes two sequences sharing the prompt, learning only each answer and its end', () => {
    const ds = loadDataset(jsonl(openAiPair('hi', 'hello there', 'go away')), tok, { maxLength: 64 });
    expect(ds.task).toBe('preference');
    const e = ds.examples.get(0);
    const prompt = renderChat([{ role: 'user', content: 'hi' }], tok).ids;
    expect(e.ids).toEqual([...prompt, ...tok.encode('assistant: hello there'), tok.eosId]);
    expect(e.rejected!.ids).toEqual([...prompt, ...tok.encode('assistant: go away'), tok.eosId]);
    expect(learned(e.ids, e.target)).toEqual([...tok.encode('hello there'), tok.eosId]);
    expect(learned(e.rejected!.ids, e.rejected!.target)).toEqual([...tok.encode('go away'), tok.eosId]);
  });

  it('keeps earlier assistant turns of the input as context, never as targets', () => {
    const row = {
      ...openAiPair('x', 'yes', 'no'),
      input: { messages: [user('a'), assistant('b'), user('c')] },
    };
    const e = loadDataset(jsonl(row), tok, { maxLength: 64 }).examples.get(0);
    expect(learned(e.ids, e.target)).toEqual([...tok.encode('yes'), tok.eosId]);
  });

  it.each([
    [
      { ...openAiPair('a', 'b', 'c'), input: { messages: [user('a')], tools: [{ type: 'function' }] } },
      'input.tools',
      /tool definitions are not supported/,
    ],
    [
      { ...openAiPair('a', 'b', 'c'), preferred_output: [assistant('b'), assistant('d')] },
      'preferred_output',
      /exactly one assistant message/,
    ],
    [
      { ...openAiPair('a', 'b', 'c'), non_preferred_output: [user('c')] },
      'non_preferred_output.0.role',
      /must be "assistant"/,
    ],
    [
      { input: { messages: [user('a')] }, preferred_output: [assistant('b')] },
      'non_preferred_output',
      /expected array/,
    ],
    [{ ...openAiPair('a', 'b', 'c'), input: { messages: [] } }, 'input.messages', /too small|at least/i],
  ])('refuses a bad pair on line 2, naming the field (%#)', (bad, field, rule) => {
    const e = dataError(jsonl(openAiPair('a', 'b', 'c'), bad));
    expect(e.line).toBe(2);
    expect(e.field).toBe(field);
    expect(e.message).toMatch(rule);
  });
});

describe("TRL's preference format", () => {
  it('takes plain prompt/chosen/rejected strings as prompt + completion', () => {
    const ds = loadDataset(jsonl({ prompt: 'q ', chosen: 'good', rejected: 'bad' }), tok, { maxLength: 64 });
    const e = ds.examples.get(0);
    expect(ds.task).toBe('preference');
    expect(e.ids).toEqual([...tok.encode('q good'), tok.eosId]);
    expect(learned(e.rejected!.ids, e.rejected!.target)).toEqual([...tok.encode('bad'), tok.eosId]);
  });

  it('takes conversational prompt/chosen/rejected like OpenAI pairs', () => {
    const trl = { prompt: [user('hi')], chosen: [assistant('yes')], rejected: [assistant('no')] };
    const a = loadDataset(jsonl(trl), tok, { maxLength: 64 }).examples.get(0);
    const b = loadDataset(jsonl(openAiPair('hi', 'yes', 'no')), tok, { maxLength: 64 }).examples.get(0);
    expect(a).toEqual(b);
  });

  it('refuses strings mixed with messages', () => {
    const e = dataError(jsonl({ prompt: 'q', chosen: [assistant('a')], rejected: 'b' }));
    expect(e.line).toBe(1);
    expect(e.field).toBe('chosen');
  });
});

describe('preference batches and truncation', () => {
  it('put the k preferred sequences first, then the k others, with their reference values', () => {
    const ds = loadDataset(jsonl(openAiPair('a', 'bb', 'c'), openAiPair('dd', 'e', 'ffff')), tok, {
      maxLength: 64,
    });
    const b = collate(
      exampleRange(ds.examples, 0, ds.examples.length),
      'preference',
      tok.padId,
      [-1, -2, -3, -4],
    );
    expect(b.size).toBe(4);
    expect(b.count).toBe(2);
    expect([...b.preference!.reference]).toEqual([-1, -3, -2, -4]);
    const row = (r: number, ids: number[]) => [...b.ids.slice(r * b.length, r * b.length + ids.length - 1)];
    const first = ds.examples.get(0);
    expect(row(0, first.ids)).toEqual(first.ids.slice(0, -1));
    expect(row(2, first.rejected!.ids)).toEqual(first.rejected!.ids.slice(0, -1));
    expect(b.preference!.chosenTargets).toBe(3 + 2);
  });

  it('drops a pair when truncation leaves either answer nothing to learn', () => {
    const long = openAiPair('a', 'b', 'c');
    long.non_preferred_output = [assistant('x'.repeat(10))];
    long.input.messages = [user('p'.repeat(10))];
    const short = openAiPair('a', 'b', 'c');
    const ds = loadDataset(jsonl(short, long), tok, { maxLength: 20 });
    expect(ds.examples).toHaveLength(1);
    expect(ds.dropped).toBe(1);
  });
});
