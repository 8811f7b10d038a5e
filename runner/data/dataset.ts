/**
 * From file contents to encoded examples: token ids plus, per token, whether it is learned.
 * Truncation keeps the first `maxLength` tokens. Examples left with nothing to learn are dropped
 * and counted, so a user sees how much of the file truncation cost.
 */
import type { Task } from '../config';
import { DataError } from '../errors';
import { isJsonl, labelIndex, parseJsonl, type RawExample } from './formats';
import { renderChat, renderPromptCompletion } from './template';
import type { TextTokenizer } from './tokenizer';

export interface Example {
  ids: number[];
  /** 1 where the token is a target of next-token prediction (LM tasks). */
  target: number[];
  /** Class id (classification). */
  label?: number;
  /** Sampling weight (`sampling.weight_field`), 1 when absent. */
  weight: number;
}

export interface Dataset {
  task: Task;
  examples: Example[];
  /** Classification: label names, index = class id. */
  labels?: string[];
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
}

export function loadDataset(content: string, tok: TextTokenizer, opts: EncodeOptions): Dataset {
  if (opts.maxLength < 2)
    throw new DataError('max_sequence_length must be at least 2', null, 'max_sequence_length');
  if (opts.task === 'text' || (!opts.task && !isJsonl(content)))
    return textBlocks(content, tok, opts.maxLength);
  return encodeRecords(parseJsonl(content, opts.task), tok, opts);
}

export function encodeRecords(raw: RawExample[], tok: TextTokenizer, opts: EncodeOptions): Dataset {
  const task = raw[0].format as Task;
  const L = opts.maxLength;
  const examples: Example[] = [];
  let dropped = 0;
  let truncated = 0;
  const labels =
    task === 'classification'
      ? (opts.labels ?? labelIndex(raw.map((r) => (r.format === 'classification' ? r.label : ''))))
      : undefined;
  const labelId = new Map(labels?.map((l, i) => [l, i]));
  raw.forEach((r, idx) => {
    const weight = sampleWeight(r.record, opts.weightField, idx);
    if (r.format === 'classification') {
      const label = labelId.get(r.label);
      if (label === undefined)
        throw new DataError(`label '${r.label}' is not among the training labels`, idx + 1, 'label');
      let ids = tok.encode(r.text);
      if (ids.length > L - 1) {
        ids = ids.slice(0, L - 1);
        truncated++;
      }
      // The classifier reads the last position; a closing <eos> makes that position the same token for every example.
      ids.push(tok.eosId);
      examples.push({ ids, target: ids.map(() => 0), label, weight });
      return;
    }
    const { ids, target } =
      r.format === 'chat' ? renderChat(r.messages, tok) : renderPromptCompletion(r.prompt, r.completion, tok);
    if (ids.length > L) truncated++;
    const keepIds = ids.slice(0, L);
    const keepTarget = target.slice(0, L);
    // Position 0 is never predicted (nothing precedes it).
    if (keepIds.length < 2 || !keepTarget.slice(1).some((t) => t === 1)) {
      dropped++;
      return;
    }
    examples.push({ ids: keepIds, target: keepTarget, weight });
  });
  if (examples.length === 0) {
    throw new DataError(
      'no example has target tokens left after truncation to max_sequence_length',
      null,
      'max_sequence_length',
    );
  }
  return { task, examples, labels, dropped, truncated };
}

function sampleWeight(record: Record<string, unknown>, field: string | undefined, idx: number): number {
  if (!field || !(field in record)) return 1;
  const w = record[field];
  if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
    throw new DataError(`${field} must be a finite number ≥ 0`, idx + 1, field);
  }
  return w;
}

/** Plain text for LM pretraining: contiguous blocks of `maxLength` tokens overlapping by one, so every token is predicted once. */
export function textBlocks(content: string, tok: TextTokenizer, maxLength: number): Dataset {
  const all = tok.encode(content);
  const stride = maxLength - 1;
  const examples: Example[] = [];
  for (let start = 0; start + 1 < all.length; start += stride) {
    const ids = all.slice(start, start + maxLength);
    if (ids.length < 2) break;
    examples.push({ ids, target: ids.map((_, i) => (i === 0 ? 0 : 1)), weight: 1 });
  }
  if (examples.length === 0) throw new DataError('the text file is too short to train on', null, null);
  return { task: 'text', examples, dropped: 0, truncated: 0 };
}
