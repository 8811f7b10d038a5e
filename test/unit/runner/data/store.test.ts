/**
 * A training file is read as a stream and its examples kept on disk (runner/data/store.ts): the
 * same examples, counts and order as the text in memory gives, with only an index in memory.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeSource,
  exampleRange,
  ExampleStore,
  sourceCharacters,
  sourceLabels,
  sourceTask,
  type Dataset,
  type Example,
  type SourceEncoding,
} from '../../../../runner/data';
import { fileLines } from '../../../../runner/data/text-file';
import { charTokenizer as tok } from '../train/helpers';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tp-store-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const all = (ds: Dataset) => exampleRange(ds.examples, 0, ds.examples.length);

let files = 0;
async function onDisk(content: string | Buffer): Promise<{ path: string }> {
  const p = path.join(dir, `data-${files++}`);
  await writeFile(p, content);
  return { path: p };
}

/** Encodes the content from memory and from a file; both must agree; returns the file's dataset. */
async function both(content: string, opts: Omit<SourceEncoding, 'task'>): Promise<Dataset> {
  const task = await sourceTask(content);
  const src = await onDisk(content);
  expect(await sourceTask(src)).toBe(task);
  const storePath = `${src.path}.examples`;
  const fromMemory = await encodeSource(content, tok, { ...opts, task });
  const fromFile = await encodeSource(src, tok, { ...opts, task, storePath });
  expect(fromMemory.examples.storage).toEqual({ kind: 'memory' });
  expect(fromFile.examples.storage).toEqual({ kind: 'disk', path: storePath });
  expect(fromFile.examples).toHaveLength(fromMemory.examples.length);
  expect(all(fromFile)).toEqual(all(fromMemory));
  expect([fromFile.dropped, fromFile.truncated]).toEqual([fromMemory.dropped, fromMemory.truncated]);
  expect([fromFile.examples.tokens, fromFile.examples.longest]).toEqual([
    fromMemory.examples.tokens,
    fromMemory.examples.longest,
  ]);
  expect(Array.from(fromFile.examples.weights())).toEqual(Array.from(fromMemory.examples.weights()));
  expect(Array.from(fromFile.examples.labelIds())).toEqual(Array.from(fromMemory.examples.labelIds()));
  return fromFile;
}

describe('a file encodes to the same examples as its text in memory', () => {
  it('chat (with truncation and dropped examples), on disk as 3 bytes a token', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({
      messages: [
        { role: 'user', content: 'word '.repeat(i % 17) },
        { role: 'assistant', content: 'reply '.repeat(i % 5) },
      ],
    }));
    const ds = await both(jsonl(rows), { maxLength: 48 });
    expect(ds.dropped + ds.truncated).toBeGreaterThan(0);
    // uint16 ids plus one target byte per token, nothing else: the index stays in memory.
    const store = ds.examples.storage as { path: string };
    expect(statSync(store.path).size).toBe(ds.examples.tokens * 3);
    (ds.examples as ExampleStore).close();
    expect(existsSync(store.path)).toBe(false);
  });

  it('preference pairs (both answers, truncation and dropped pairs), each pair two records on disk', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({
      input: { messages: [{ role: 'user', content: 'ask '.repeat(i % 13) }] },
      preferred_output: [{ role: 'assistant', content: 'yes '.repeat(1 + (i % 4)) }],
      non_preferred_output: [{ role: 'assistant', content: 'no '.repeat(1 + (i % 7)) }],
    }));
    const ds = await both(jsonl(rows), { maxLength: 40 });
    expect(ds.task).toBe('preference');
    expect(ds.dropped + ds.truncated).toBeGreaterThan(0);
    const e = ds.examples.get(3);
    expect(e.rejected!.ids.length).toBeGreaterThan(0);
    expect(statSync((ds.examples.storage as { path: string }).path).size).toBe(ds.examples.tokens * 3);
    (ds.examples as ExampleStore).close();
  });

  it('prompt/completion with sampling weights, blank lines and CRLF endings', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({
      prompt: `p${i} `,
      completion: 'c'.repeat(i % 7),
      w: i % 3,
    }));
    const content = jsonl(rows).replace(/\n/g, '\r\n').replace(/\r\n/, '\r\n\r\n');
    const ds = await both(content, { maxLength: 16, weightField: 'w' });
    expect(Array.from(ds.examples.weights()).slice(0, 3)).toEqual([0, 1, 2]);
  });

  it('classification: labels found in one pass over the file, the same class ids', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({
      text: `t ${i}`,
      label: ['pos', 'neg', 'mid'][i % 3],
    }));
    const src = await onDisk(jsonl(rows));
    const labels = await sourceLabels(src);
    expect(labels).toEqual(['mid', 'neg', 'pos']);
    expect(await sourceLabels(jsonl(rows))).toEqual(labels);
    const ds = await both(jsonl(rows), { maxLength: 16, labels });
    expect(Array.from(ds.examples.labelIds()).slice(0, 3)).toEqual([2, 1, 0]);
  });

  it('plain text: the same blocks, every token predicted once', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => `line ${i} of text.`).join('\n');
    const ds = await both(text, { maxLength: 32 });
    expect(ds.task).toBe('text');
  });

  it('errors name the same line as from memory', async () => {
    const content = jsonl([{ prompt: 'a', completion: 'b' }]) + '{"prompt": 3}\n';
    const src = await onDisk(content);
    const opts = { task: 'prompt_completion' as const, maxLength: 16 };
    const memory = await encodeSource(content, tok, opts).catch((e: Error) => e.message);
    const file = await encodeSource(src, tok, { ...opts, storePath: `${src.path}.examples` }).catch(
      (e: Error) => e.message,
    );
    expect(file).toBe(memory);
    expect(file).toMatch(/line 2/);
    // A failed encoding leaves no store behind.
    expect(existsSync(`${src.path}.examples`)).toBe(false);
  });
});

describe('reading a file as a stream', () => {
  it('splits lines like the decoded text would, across read chunks and multi-byte characters', async () => {
    // Longer than one read (1 MiB), with 2-, 3- and 4-byte characters everywhere, so some straddle a chunk edge.
    const lines = Array.from({ length: 40_000 }, (_, i) => `${i} é中😀 ${'x'.repeat(i % 13)}`);
    const content = lines.join('\n') + '\n';
    const src = await onDisk(content);
    const got: string[] = [];
    for await (const line of fileLines(src.path)) got.push(line);
    expect(got).toEqual(content.split('\n'));
    expect(await sourceCharacters([src])).toBe(await sourceCharacters([content]));
  });
});

describe('ExampleStore', () => {
  it('keeps ids wider than 16 bits when the vocabulary needs them, with labels and weights', () => {
    const p = path.join(dir, 'wide.examples');
    const store = new ExampleStore(p, { vocabSize: 200_000, labels: true, weights: true });
    const examples: Example[] = [
      { ids: [0, 65_535, 65_536, 199_999], target: [0, 1, 1, 0], label: 2, weight: 0.5 },
      { ids: [7], target: [1], label: 0, weight: 3 },
      { ids: [1, 2, 3, 4, 5, 6], target: [0, 0, 1, 1, 1, 1], label: 1, weight: 1 },
    ];
    for (const e of examples) store.add(e);
    store.seal();
    expect(statSync(p).size).toBe(11 * 5);
    expect([store.get(2), store.get(0), store.get(1)]).toEqual([examples[2], examples[0], examples[1]]);
    expect([store.longest, store.tokens]).toEqual([2, 11]);
    expect(() => store.get(3)).toThrow(RangeError);
    store.close();
    expect(existsSync(p)).toBe(false);
  });

  it('refuses an id its width cannot hold', () => {
    const store = new ExampleStore(path.join(dir, 'narrow.examples'), { vocabSize: 100 });
    expect(() => store.add({ ids: [70_000], target: [1], weight: 1 })).toThrow(/does not fit/);
    store.close();
  });
});
