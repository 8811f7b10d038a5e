/**
 * Training files: JSONL in one of four formats, or plain text.
 *
 *  - chat:              {"messages":[{"role":"system|user|assistant|tool","content":"…","weight":0|1}, …]}
 *  - prompt_completion: {"prompt":"…","completion":"…"}
 *  - classification:    {"text":"…","label":"…"|number}
 *  - preference:        OpenAI's {"input":{"messages":[…]},"preferred_output":[…],"non_preferred_output":[…]}
 *                       or TRL's {"prompt","chosen","rejected"} (data/preference.ts)
 *  - text:              any file whose first non-blank line is not a JSON object (LM pretraining)
 *
 * Every JSONL line must be the same format as the first. Errors name the line and the field.
 */
import { z } from 'zod';
import type { FileFormat } from '../../openapi/schemas/file';
import { DataError } from '../errors';
import { MessageSchema, type ChatMessage } from './messages';
import { isPreferenceRecord, parsePreference, type PreferencePair } from './preference';

export { MessageSchema, type ChatMessage };

/** The JSONL formats (a file that is not JSONL is `text`). */
export type JsonlFormat = Exclude<FileFormat, 'text'>;

export const ChatRecordSchema = z.object({ messages: z.array(MessageSchema).min(1) }).loose();
export const PromptCompletionRecordSchema = z.object({ prompt: z.string(), completion: z.string() }).loose();
export const ClassificationRecordSchema = z
  .object({ text: z.string(), label: z.union([z.string().min(1), z.number()]) })
  .loose();

export type RawExample =
  | { format: 'chat'; messages: ChatMessage[]; record: Record<string, unknown> }
  | { format: 'prompt_completion'; prompt: string; completion: string; record: Record<string, unknown> }
  | { format: 'classification'; text: string; label: string; record: Record<string, unknown> }
  | ({ format: 'preference'; record: Record<string, unknown> } & PreferencePair);

export function detectFormat(firstRecord: Record<string, unknown>): JsonlFormat {
  if (isPreferenceRecord(firstRecord)) return 'preference';
  if ('messages' in firstRecord) return 'chat';
  if ('prompt' in firstRecord || 'completion' in firstRecord) return 'prompt_completion';
  if ('text' in firstRecord && 'label' in firstRecord) return 'classification';
  throw new DataError(
    'unknown format: expected "messages", "prompt"/"completion", "text"/"label" or a preference pair ("input", "preferred_output", "non_preferred_output")',
    1,
    null,
  );
}

/** JSONL when the first non-blank line is a JSON object, else plain text. */
export function isJsonl(content: string): boolean {
  return isJsonObjectLine(content.split('\n').find((l) => l.trim() !== ''));
}

/** Whether a (first non-blank) line is a JSON object, which makes its file JSONL. */
export function isJsonObjectLine(line: string | undefined): boolean {
  if (!line) return false;
  try {
    const v = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

export function parseJsonl(content: string, expected?: JsonlFormat): RawExample[] {
  const out: RawExample[] = [];
  let format = expected;
  content.split('\n').forEach((line, idx) => {
    const r = parseJsonlLine(line, idx + 1, format);
    if (!r) return;
    format ??= r.format;
    out.push(r);
  });
  if (out.length === 0) throw new DataError('the file holds no examples', null, null);
  return out;
}

/** One line of a JSONL file: its example, or undefined when blank. `format` defaults to the line's own. */
export function parseJsonlLine(line: string, lineNo: number, format?: JsonlFormat): RawExample | undefined {
  if (line.trim() === '') return undefined;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (e) {
    throw new DataError(`not valid JSON (${(e as Error).message})`, lineNo, null);
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new DataError('each line must be a JSON object', lineNo, null);
  }
  const rec = record as Record<string, unknown>;
  return parseRecord(format ?? detectFormat(rec), rec, lineNo);
}

function parseRecord(format: JsonlFormat, rec: Record<string, unknown>, line: number): RawExample {
  if (format === 'preference') return { format, record: rec, ...parsePreference(rec, line) };
  const schema =
    format === 'chat'
      ? ChatRecordSchema
      : format === 'prompt_completion'
        ? PromptCompletionRecordSchema
        : ClassificationRecordSchema;
  const r = schema.safeParse(rec);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.path.join('.');
    throw new DataError(`${format} example: ${field || 'record'}: ${issue.message}`, line, field || null);
  }
  if (format === 'chat') {
    const messages = (r.data as z.infer<typeof ChatRecordSchema>).messages;
    messages.forEach((m, i) => {
      if (m.weight !== undefined && m.role !== 'assistant') {
        throw new DataError('weight is allowed on assistant messages only', line, `messages.${i}.weight`);
      }
    });
    if (!messages.some((m) => m.role === 'assistant')) {
      throw new DataError('a chat example needs at least one assistant message', line, 'messages');
    }
    return { format, messages, record: rec };
  }
  if (format === 'prompt_completion') {
    const d = r.data as z.infer<typeof PromptCompletionRecordSchema>;
    return { format, prompt: d.prompt, completion: d.completion, record: rec };
  }
  const d = r.data as z.infer<typeof ClassificationRecordSchema>;
  return { format, text: d.text, label: String(d.label), record: rec };
}

/** Distinct labels, sorted (numerically when all are numbers), → ids 0..k-1. */
export function labelIndex(labels: Iterable<string>): string[] {
  const distinct = [...new Set(labels)];
  const numeric = distinct.every((l) => l.trim() !== '' && Number.isFinite(Number(l)));
  return numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
}
