import { describe, expect, it } from 'vitest';
import { collate, exampleRange, loadDataset, renderChat, type Examples } from '../../../../runner/data';
import type { DataError } from '../../../../runner/errors';
import { charTokenizer as tok } from '../train/helpers';

const jsonl = (...rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n');
const learned = (ids: number[], target: number[]) => ids.filter((_, i) => target[i] === 1);
const all = (examples: Examples) => exampleRange(examples, 0, examples.length);

describe('chat examples', () => {
  it('learn only the assistant tokens (and the assistant turn end), never system/user/headers', () => {
    const { ids, target } = renderChat(
      [
        { role: 'system', content: 'be nice' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'yo' },
      ],
      tok,
    );
    expect(learned(ids, target)).toEqual([...tok.encode('yo'), tok.eosId]);
    // The template is documented: "<role>: <content><eos>" per message.
    expect(ids).toEqual([
      ...tok.encode('system: be nice'),
      tok.eosId,
      ...tok.encode('user: hi'),
      tok.eosId,
      ...tok.encode('assistant: yo'),
      tok.eosId,
    ]);
  });

  it('skip assistant messages with weight 0', () => {
    const { ids, target } = renderChat(
      [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'bad', weight: 0 },
        { role: 'user', content: 'b' },
        { role: 'assistant', content: 'good', weight: 1 },
      ],
      tok,
    );
    expect(learned(ids, target)).toEqual([...tok.encode('good'), tok.eosId]);
  });

  it('reject weight on a non-assistant message, naming line and field', () => {
    const content = jsonl(
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: 'y' },
        ],
      },
      {
        messages: [
          { role: 'user', content: 'x', weight: 0 },
          { role: 'assistant', content: 'y' },
        ],
      },
    );
    expect(() => loadDataset(content, tok, { maxLength: 64 })).toThrow(
      /line 2: weight is allowed on assistant messages only/,
    );
    try {
      loadDataset(content, tok, { maxLength: 64 });
    } catch (e) {
      expect((e as DataError).field).toBe('messages.0.weight');
    }
  });
});

describe('prompt/completion examples', () => {
  it('learn only the completion and its end token', () => {
    const ds = loadDataset(jsonl({ prompt: 'ab ', completion: 'cd' }), tok, { maxLength: 64 });
    expect(ds.task).toBe('prompt_completion');
    const e = ds.examples.get(0);
    expect(learned(e.ids, e.target)).toEqual([...tok.encode('cd'), tok.eosId]);
  });

  it('truncate to max_sequence_length and drop examples with nothing left to learn', () => {
    const ds = loadDataset(
      jsonl({ prompt: 'abcdefgh', completion: 'xy' }, { prompt: 'a', completion: 'xyz' }),
      tok,
      { maxLength: 6 },
    );
    expect(ds.examples).toHaveLength(1);
    expect(ds.dropped).toBe(1);
    expect(ds.examples.get(0).ids).toHaveLength(5);
  });
});

describe('classification examples', () => {
  it('map labels to ids in sorted order, validation reusing the training map', () => {
    const train = loadDataset(
      jsonl({ text: 'a', label: 'pos' }, { text: 'b', label: 'neg' }, { text: 'c', label: 'mid' }),
      tok,
      { maxLength: 16 },
    );
    expect(train.labels).toEqual(['mid', 'neg', 'pos']);
    expect(all(train.examples).map((e) => e.label)).toEqual([2, 1, 0]);
    // The classifier reads the closing end token.
    expect(train.examples.get(0).ids.at(-1)).toBe(tok.eosId);
    const valid = loadDataset(jsonl({ text: 'z', label: 'neg' }), tok, {
      maxLength: 16,
      labels: train.labels,
    });
    expect(valid.examples.get(0).label).toBe(1);
    expect(() =>
      loadDataset(jsonl({ text: 'z', label: 'other' }), tok, { maxLength: 16, labels: train.labels }),
    ).toThrow(/label 'other'/);
  });

  it('sort numeric labels numerically', () => {
    const ds = loadDataset(jsonl({ text: 'a', label: 10 }, { text: 'b', label: 9 }), tok, { maxLength: 16 });
    expect(ds.labels).toEqual(['9', '10']);
  });
});

describe('plain text', () => {
  it('is cut into contiguous blocks where every token but the first is predicted exactly once', () => {
    const text = 'abcdefghijklmnopqrstuvwxyz';
    const ds = loadDataset(text, tok, { maxLength: 8 });
    expect(ds.task).toBe('text');
    const predicted = all(ds.examples).flatMap((e) => learned(e.ids, e.target));
    expect(predicted).toEqual(tok.encode(text).slice(1));
    expect(Math.max(...all(ds.examples).map((e) => e.ids.length))).toBe(8);
  });
});

describe('batches', () => {
  it('pad on the right, shift targets by one and mask padding and non-targets', () => {
    const ds = loadDataset(
      jsonl({ prompt: 'a', completion: 'bc' }, { prompt: 'ab', completion: 'cdef' }),
      tok,
      { maxLength: 64 },
    );
    const b = collate(all(ds.examples), ds.task, tok.padId);
    expect([b.size, b.length]).toEqual([2, 6]);
    // Row 0: a b c <eos> → inputs a b c, targets b c <eos>, all learned; then padding.
    expect([...b.ids.slice(0, 6)]).toEqual([0, 1, 2, tok.padId, tok.padId, tok.padId]);
    expect([...b.targets.slice(0, 3)]).toEqual([1, 2, tok.eosId]);
    expect([...b.mask.slice(0, 6)]).toEqual([1, 1, 1, 0, 0, 0]);
    // Row 1: a b | c d e f <eos>: predicting b is not learned.
    expect([...b.mask.slice(6)]).toEqual([0, 1, 1, 1, 1, 1]);
    expect(b.count).toBe(8);
  });
});
