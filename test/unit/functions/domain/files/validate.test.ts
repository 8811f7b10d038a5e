import { describe, expect, it } from 'vitest';
import { checkExample, validateTrainingFile } from '../../../../../functions/domain/files';
import {
  chatJsonl,
  classificationJsonl,
  jsonl,
  preferenceJsonl,
  promptCompletionJsonl,
} from '../../../../api/data';

const bytes = (s: string) => new TextEncoder().encode(s);

/** A stream that hands the text over in small chunks, splitting lines and multi-byte characters. */
function chunked(s: string, size = 7): ReadableStream<Uint8Array> {
  const b = bytes(s);
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i >= b.length) return c.close();
      c.enqueue(b.slice(i, i + size));
      i += size;
    },
  });
}

describe('training file validation', () => {
  it('accepts chat data and reports format, examples, tokens', async () => {
    const r = await validateTrainingFile(bytes(chatJsonl(12)));
    expect(r).toMatchObject({ valid: true, format: 'chat', exampleCount: 12, labels: null, problems: [] });
    expect(r.tokenCount).toBeGreaterThan(12 * 5);
  });

  it('accepts prompt/completion data', async () => {
    expect(await validateTrainingFile(bytes(promptCompletionJsonl(10)))).toMatchObject({
      valid: true,
      format: 'prompt_completion',
    });
  });

  it('accepts classification data and lists its labels', async () => {
    const r = await validateTrainingFile(bytes(classificationJsonl(20)));
    expect(r).toMatchObject({
      valid: true,
      format: 'classification',
      exampleCount: 20,
      labels: ['negative', 'positive'],
    });
  });

  it('reads a stream chunk by chunk, across split lines and UTF-8 characters', async () => {
    const text = jsonl(
      Array.from({ length: 10 }, (_, i) => ({ text: `Größe ${i} — ünïcödé ✓`, label: i % 2 ? 'a' : 'b' })),
    );
    const r = await validateTrainingFile(chunked(text, 5));
    expect(r).toMatchObject({ valid: true, exampleCount: 10, labels: ['a', 'b'] });
  });

  it('refuses plain text and says a fine-tune file must be JSONL', async () => {
    const r = await validateTrainingFile(
      bytes('First Citizen:\nBefore we proceed any further, hear me speak.\n'),
    );
    expect(r.valid).toBe(false);
    expect(r.problems[0].line).toBe(1);
    expect(r.problems[0].rule).toMatch(/not JSONL.*plain text is not accepted/);
  });

  it('names the line of invalid JSON', async () => {
    const lines = chatJsonl(12).split('\n');
    lines[4] = '{"messages": [';
    const r = await validateTrainingFile(bytes(lines.join('\n')));
    expect(r.valid).toBe(false);
    expect(r.problems[0]).toMatchObject({ line: 5 });
    expect(r.problems[0].rule).toMatch(/not valid JSON/);
  });

  it('needs at least ten examples', async () => {
    const r = await validateTrainingFile(bytes(chatJsonl(9)));
    expect(r.valid).toBe(false);
    expect(r.problems[0].rule).toMatch(/9 example\(s\); fine-tuning needs at least 10/);
  });

  it('refuses mixed formats and names the line', async () => {
    const text = chatJsonl(10) + classificationJsonl(1);
    const r = await validateTrainingFile(bytes(text));
    expect(r.problems[0]).toMatchObject({ line: 11 });
    expect(r.problems[0].rule).toMatch(/classification but line 1 is chat/);
  });

  it('needs two labels for classification', async () => {
    const r = await validateTrainingFile(
      bytes(jsonl(Array.from({ length: 10 }, (_, i) => ({ text: `t${i}`, label: 'same' })))),
    );
    expect(r.problems[0].rule).toMatch(/at least 2 distinct labels/);
  });

  it('skips blank lines but counts them in line numbers', async () => {
    const text = '\n' + chatJsonl(10).replace('\n', '\n\n') + '[1,2]\n';
    const r = await validateTrainingFile(bytes(text));
    expect(r.problems).toEqual([{ line: 13, rule: 'each line must be a JSON object' }]);
  });

  it('refuses invalid UTF-8', async () => {
    const r = await validateTrainingFile(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x0a]));
    expect(r.problems[0].rule).toMatch(/not valid UTF-8/);
  });
});

describe('chat example rules', () => {
  const chat = (messages: unknown[]) => checkExample({ messages });
  it.each([
    [[], /non-empty array/],
    [[{ role: 'robot', content: 'x' }], /role must be one of system, user, assistant, tool/],
    [
      [
        { role: 'user', content: '' },
        { role: 'assistant', content: 'x' },
      ],
      /content must not be empty/,
    ],
    [[{ role: 'user', content: 'hi' }], /at least one message must have role "assistant"/],
    [
      [
        { role: 'user', content: 'hi', weight: 1 },
        { role: 'assistant', content: 'x' },
      ],
      /weight is only allowed on assistant messages/,
    ],
    [
      [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'x', weight: 0.5 },
      ],
      /weight must be 0 or 1/,
    ],
    [
      [
        { role: 'user', content: 42 },
        { role: 'assistant', content: 'x' },
      ],
      /content must be a string or an array of text parts/,
    ],
  ])('refuses %j', (messages, rule) => {
    const r = chat(messages);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.rule).toMatch(rule);
  });

  it('accepts weights on assistant messages, text parts and tool calls', () => {
    expect(
      chat([
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', content: '{"ok":true}', tool_call_id: 'c1' },
        { role: 'assistant', content: 'done', weight: 1 },
        { role: 'assistant', content: 'ignored', weight: 0 },
      ]).ok,
    ).toBe(true);
  });

  it('names what it expected for an unrecognised line', () => {
    const r = checkExample({ question: 'x' });
    expect(r.ok ? '' : r.rule).toMatch(
      /expected "messages" \(chat\), "prompt"\/"completion", "text" with "label" \(classification\), or a preference pair/,
    );
  });
});

describe('preference pairs (DPO)', () => {
  const pair = {
    input: { messages: [{ role: 'user', content: 'shout abc' }] },
    preferred_output: [{ role: 'assistant', content: 'ABC' }],
    non_preferred_output: [{ role: 'assistant', content: 'abc' }],
  };

  it('accepts OpenAI’s format as format "preference", counting the prompt for both answers', async () => {
    const r = await validateTrainingFile(bytes(preferenceJsonl(12)));
    expect(r).toMatchObject({ valid: true, format: 'preference', exampleCount: 12, problems: [] });
    const chat = await validateTrainingFile(bytes(chatJsonl(12)));
    // the same reviews as chat: the preference file's estimate holds the prompt twice and two answers
    expect(r.tokenCount).toBeGreaterThan(1.8 * chat.tokenCount);
    expect(checkExample(pair)).toMatchObject({ ok: true, format: 'preference' });
  });

  it('accepts TRL’s prompt/chosen/rejected, as strings or messages', () => {
    expect(checkExample({ prompt: 'shout abc', chosen: 'ABC', rejected: 'abc' })).toMatchObject({
      ok: true,
      format: 'preference',
    });
    expect(
      checkExample({
        prompt: [{ role: 'user', content: 'shout abc' }],
        chosen: [{ role: 'assistant', content: 'ABC' }],
        rejected: [{ role: 'assistant', content: 'abc' }],
      }),
    ).toMatchObject({ ok: true, format: 'preference' });
  });

  it.each([
    [{ ...pair, input: 'shout abc' }, /"input" must be an object holding "messages"/],
    [{ ...pair, input: { messages: [] } }, /"input.messages" must be a non-empty array/],
    [
      { ...pair, input: { messages: [{ role: 'robot', content: 'x' }] } },
      /input.messages\[0\].role must be one of/,
    ],
    [
      { ...pair, input: { ...pair.input, tools: [{ type: 'function', function: { name: 'f' } }] } },
      /input.tools: tool definitions are not supported/,
    ],
    [
      { ...pair, preferred_output: undefined },
      /"preferred_output" must be a list of exactly one assistant message/,
    ],
    [
      { ...pair, preferred_output: [...pair.preferred_output, ...pair.preferred_output] },
      /"preferred_output" must be a list of exactly one assistant message/,
    ],
    [
      { ...pair, non_preferred_output: [{ role: 'user', content: 'abc' }] },
      /non_preferred_output\[0\].role must be "assistant" \(got "user"\)/,
    ],
    [
      { ...pair, non_preferred_output: [{ role: 'assistant', content: '' }] },
      /non_preferred_output\[0\].content must not be empty/,
    ],
    [
      { ...pair, preferred_output: [{ role: 'assistant', content: 'ABC', weight: 1 }] },
      /preferred_output\[0\].weight is not allowed/,
    ],
    [{ prompt: 'shout abc', chosen: 'ABC', rejected: '' }, /"rejected" must be a non-empty string/],
  ])('refuses %j', (example, rule) => {
    const r = checkExample(example);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.rule).toMatch(rule);
  });

  it('names the line and the field of a broken pair', async () => {
    const lines = preferenceJsonl(12).trim().split('\n');
    const bad = JSON.parse(lines[6]);
    bad.non_preferred_output = [];
    lines[6] = JSON.stringify(bad);
    const r = await validateTrainingFile(bytes(lines.join('\n')));
    expect(r.valid).toBe(false);
    expect(r.problems[0]).toMatchObject({ line: 7 });
    expect(r.problems[0].rule).toMatch(
      /"non_preferred_output" must be a list of exactly one assistant message/,
    );
  });

  it('refuses chat lines mixed into a preference file, naming the line', async () => {
    const text = preferenceJsonl(10) + chatJsonl(1);
    const r = await validateTrainingFile(bytes(text));
    expect(r.problems[0]).toMatchObject({ line: 11 });
    expect(r.problems[0].rule).toMatch(/example is chat but line 1 is preference/);
  });
});
