/**
 * From file contents to encoded examples: token ids plus, per token, whether it is learned.
 * Truncation keeps the first `maxLength` tokens. Examples left with nothing to learn are dropped
 * and counted, so a user sees how much of the file truncation cost.
 *
 * Records are encoded one at a time into a sink (`RecordEncoder`, `TextBlocker`), so a file can be
 * encoded as it is read (data/encode-file.ts, into a disk store) as well as from a string in memory
 * (here): both give the same examples.
 */
import type { Task } from '../config';
import { DataError } from '../errors';
import { ExampleList, type Example, type Examples } from './examples';
import { isJsonl, labelIndex, parseJsonl, type RawExample } from './formats';
import type { ChatFormat } from './chat-format';
import { renderPair } from './preference';
import { renderChat, renderPromptCompletion } from './template';
import type { TextTokenizer } from './tokenizer';

export type { Example } from './examples';

export interface Dataset {
  task: Task;
  examples: Examples;
  /** Classification: label names, index = class id. */
  labels?: string[];
  /**
   * Preference data: each pair's reference log-probabilities, (chosen, rejected) per example, from
   * the weights training started from. The trainer fills it in before the first step.
   */
  reference?: Float32Array;
  /** Examples dropped because truncation left them nothing to learn. */
  dropped: number;
  /** Examples whose tokens were cut by truncation. */
  truncated: number;
}

export interface EncodeOptions {
  maxLength: number;
  weightField?: string;
  /** Validation data must reuse the training set's label map. */
  labels?: string[];
  /** Force a task (else detected). */
  task?: Task;
  /** How chat examples become tokens (the model's chat_template, or ours when absent). */
  chat?: ChatFormat;
}

/** Where encoded examples go. */
export interface ExampleSink {
  add(e: Example): void;
  readonly length: number;
}

export function checkMaxLength(maxLength: number): void {
  if (maxLength < 2)
    throw new DataError('max_sequence_length must be at least 2', null, 'max_sequence_length');
}

export function loadDataset(content: string, tok: TextTokenizer, opts: EncodeOptions): Dataset {
  checkMaxLength(opts.maxLength);
  if (opts.task === 'text' || (!opts.task && !isJsonl(content)))
    return textBlocks(content, tok, opts.maxLength);
  return encodeRecords(parseJsonl(content, opts.task), tok, opts);
}

/** Encodes parsed records one at a time into a sink, counting what truncation cut and dropped. */
export class RecordEncoder {
  dropped = 0;
  truncated = 0;
  private records = 0;
  private readonly labelId: Map<string, number>;

  constructor(
    readonly task: Task,
    private readonly tok: TextTokenizer,
    private readonly opts: EncodeOptions,
    /** Classification: the label names, index = class id. */
    readonly labels: string[] | undefined,
    private readonly sink: ExampleSink,
  ) {
    this.labelId = new Map(labels?.map((l, i) => [l, i]));
  }

  add(r: RawExample): void {
    // Errors name the record's position among the file's records.
    const idx = this.records++;
    const L = this.opts.maxLength;
    const weight = sampleWeight(r.record, this.opts.weightField, idx);
    if (r.format === 'classification') {
      const label = this.labelId.get(r.label);
      if (label === undefined)
        throw new DataError(`label '${r.label}' is not among the training labels`, idx + 1, 'label');
      let ids = this.tok.encode(r.text);
      if (ids.length > L - 1) {
        ids = ids.slice(0, L - 1);
        this.truncated++;
      }
      // The classifier reads the last position; a closing <eos> makes that position the same token for every example.
      ids.push(this.tok.eosId);
      this.sink.add({ ids, target: ids.map(() => 0), label, weight });
      return;
    }
    // Rendering stops once past L tokens: what follows would be cut anyway.
    const sequences =
      r.format === 'chat' && this.opts.chat
        ? [this.opts.chat.renderTraining(r.messages)]
        : render(r, this.tok, L);
    if (sequences.some((q) => q.ids.length > L)) this.truncated++;
    const kept = sequences.map((q) => ({ ids: q.ids.slice(0, L), target: q.target.slice(0, L) }));
    // Position 0 is never predicted (nothing precedes it). A pair needs both answers.
    if (kept.some((q) => q.ids.length < 2 || !q.target.slice(1).some((t) => t === 1))) {
      this.dropped++;
      return;
    }
    const [first, rejected] = kept;
    this.sink.add({ ...first, weight, ...(rejected ? { rejected } : {}) });
  }

  /** Checks that something is left to train on. */
  finish(): { dropped: number; truncated: number } {
    if (this.sink.length === 0) {
      throw new DataError(
        'no example has target tokens left after truncation to max_sequence_length',
        null,
        'max_sequence_length',
      );
    }
    return { dropped: this.dropped, truncated: this.truncated };
  }
}

/** The task of parsed records, and for classification the label names (sorted, index = class id). */
export function recordLabels(task: Task, raw: Iterable<RawExample>, given?: string[]): string[] | undefined {
  if (task !== 'classification') return undefined;
  if (given) return given;
  const names: string[] = [];
  for (const r of raw) if (r.format === 'classification') names.push(r.label);
  return labelIndex(names);
}

export function encodeRecords(raw: RawExample[], tok: TextTokenizer, opts: EncodeOptions): Dataset {
  const task = raw[0].format as Task;
  const labels = task === 'classification' ? (opts.labels ?? recordLabels(task, raw)) : undefined;
  const examples: Example[] = [];
  const encoder = new RecordEncoder(task, tok, opts, labels, {
    add: (e) => examples.push(e),
    get length() {
      return examples.length;
    },
  });
  for (const r of raw) encoder.add(r);
  const counts = encoder.finish();
  return { task, examples: new ExampleList(examples), labels, ...counts };
}

/** The sequences an example trains on: one, or a preference pair's two (preferred first). */
function render(r: Exclude<RawExample, { format: 'classification' }>, tok: TextTokenizer, limit: number) {
  if (r.format === 'preference') {
    const pair = renderPair(r, tok, limit);
    return [pair.chosen, pair.rejected];
  }
  return [
    r.format === 'chat'
      ? renderChat(r.messages, tok, limit)
      : renderPromptCompletion(r.prompt, r.completion, tok, limit),
  ];
}

function sampleWeight(record: Record<string, unknown>, field: string | undefined, idx: number): number {
  if (!field || !(field in record)) return 1;
  const w = record[field];
  if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
    throw new DataError(`${field} must be a finite number ≥ 0`, idx + 1, field);
  }
  return w;
}

/**
 * Plain text for LM pretraining: contiguous blocks of `maxLength` tokens overlapping by one, so
 * every token is predicted once. Tokens arrive in pieces (`push`) and leave as blocks.
 */
export class TextBlocker {
  private pending: number[] = [];

  constructor(
    private readonly maxLength: number,
    private readonly sink: ExampleSink,
  ) {}

  push(ids: number[]): void {
    for (const id of ids) this.pending.push(id);
    const L = this.maxLength;
    // A full block is certain once L tokens are in; the next starts at its last token.
    let start = 0;
    while (this.pending.length - start >= L) {
      this.emit(this.pending.slice(start, start + L));
      start += L - 1;
    }
    if (start > 0) this.pending = this.pending.slice(start);
  }

  finish(): void {
    if (this.pending.length >= 2) this.emit(this.pending);
    this.pending = [];
    if (this.sink.length === 0) throw new DataError('the text file is too short to train on', null, null);
  }

  private emit(ids: number[]): void {
    this.sink.add({ ids, target: ids.map((_, i) => (i === 0 ? 0 : 1)), weight: 1 });
  }
}

export function textBlocks(content: string, tok: TextTokenizer, maxLength: number): Dataset {
  const examples: Example[] = [];
  const blocker = new TextBlocker(maxLength, {
    add: (e) => examples.push(e),
    get length() {
      return examples.length;
    },
  });
  blocker.push(tok.encode(content));
  blocker.finish();
  return { task: 'text', examples: new ExampleList(examples), dropped: 0, truncated: 0 };
}
