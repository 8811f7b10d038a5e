/**
 * Training and validation data as the session reads it: a string in memory, or a file on disk
 * that is read as a stream and encoded into a disk store (data/store.ts), so that neither its text
 * nor its tokens are ever held whole. Both give the same examples in the same order; a file's
 * examples just live on disk.
 */
import type { Task } from '../config';
import { DataError } from '../errors';
import { checkMaxLength, RecordEncoder, TextBlocker, type Dataset, type EncodeOptions } from './dataset';
import { ExampleList, type Example } from './examples';
import { detectFormat, isJsonObjectLine, labelIndex, parseJsonlLine, type JsonlFormat } from './formats';
import { ExampleStore } from './store';
import { fileLines, filePieces, firstLine } from './text-file';
import type { TextTokenizer } from './tokenizer';

/** Data in memory, or the path of a file read as a stream. */
export type DataSource = string | { path: string };

/**
 * A plain-text file is tokenized in pieces of at least this many characters, cut after a line
 * break: a file up to this size is tokenized whole, exactly as from a string. (A tokenizer whose
 * tokens can span a line break may tokenize a larger file slightly differently at the cuts.)
 */
export const TEXT_PIECE_CHARS = 4 * 1024 * 1024;

function lines(src: DataSource): AsyncIterable<string> | Iterable<string> {
  return typeof src === 'string' ? src.split('\n') : fileLines(src.path);
}

/** The task the data is for: its JSONL format (from the first non-blank line), or `text`. */
export async function sourceTask(src: DataSource): Promise<Task> {
  const first =
    typeof src === 'string' ? src.split('\n').find((l) => l.trim() !== '') : await firstLine(src.path);
  if (!isJsonObjectLine(first)) return 'text';
  return detectFormat(JSON.parse(first!) as Record<string, unknown>);
}

/** A classification file's label names, sorted (index = class id): one pass over its records. */
export async function sourceLabels(src: DataSource): Promise<string[]> {
  const names = new Set<string>();
  let lineNo = 0;
  let format: JsonlFormat | undefined;
  for await (const line of lines(src)) {
    const r = parseJsonlLine(line, ++lineNo, format);
    if (!r) continue;
    format ??= r.format;
    if (r.format === 'classification') names.add(r.label);
  }
  return labelIndex(names);
}

/** Every distinct character of the sources, in one string (to build a character tokenizer). */
export async function sourceCharacters(sources: DataSource[]): Promise<string> {
  const chars = new Set<string>();
  for (const src of sources) {
    const pieces = typeof src === 'string' ? [src] : filePieces(src.path, TEXT_PIECE_CHARS);
    for await (const piece of pieces) for (const ch of piece) chars.add(ch);
  }
  return [...chars].join('');
}

export interface SourceEncoding extends EncodeOptions {
  task: Task;
  /** Classification: the training set's label names. */
  labels?: string[];
  /** Where a file's examples are stored (a new file; it is deleted when the store is closed). */
  storePath?: string;
}

/**
 * The source's examples: from a string, a list in memory; from a file, a disk store at
 * `storePath` (the caller closes it, which deletes the file).
 */
export async function encodeSource(
  src: DataSource,
  tok: TextTokenizer,
  opts: SourceEncoding,
): Promise<Dataset> {
  checkMaxLength(opts.maxLength);
  let store: ExampleStore | undefined;
  let list: Example[] | undefined;
  if (typeof src === 'string') list = [];
  else {
    if (!opts.storePath) throw new Error('encoding a file needs a path for its example store');
    store = new ExampleStore(opts.storePath, {
      vocabSize: tok.vocabSize ?? 0x1_0000_0000,
      labels: opts.task === 'classification',
      weights: opts.weightField !== undefined,
      pairs: opts.task === 'preference',
    });
  }
  const sink = store ?? {
    add: (e: Example) => list!.push(e),
    get length() {
      return list!.length;
    },
  };
  try {
    let counts = { dropped: 0, truncated: 0 };
    if (opts.task === 'text') {
      const blocker = new TextBlocker(opts.maxLength, sink);
      const pieces = typeof src === 'string' ? [src] : filePieces(src.path, TEXT_PIECE_CHARS);
      for await (const piece of pieces) blocker.push(tok.encode(piece));
      blocker.finish();
    } else {
      const encoder = new RecordEncoder(opts.task, tok, opts, opts.labels, sink);
      let lineNo = 0;
      let records = 0;
      const format = opts.task as JsonlFormat;
      for await (const line of lines(src)) {
        const r = parseJsonlLine(line, ++lineNo, format);
        if (!r) continue;
        records++;
        encoder.add(r);
      }
      if (records === 0) throw new DataError('the file holds no examples', null, null);
      counts = encoder.finish();
    }
    return {
      task: opts.task,
      examples: store ? store.seal() : new ExampleList(list!),
      labels: opts.labels,
      ...counts,
    };
  } catch (err) {
    store?.close();
    throw err;
  }
}
