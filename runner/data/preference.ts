/**
 * Preference pairs for DPO: one prompt, the answer people preferred and the one they did not.
 *
 *  - OpenAI's shape: {"input":{"messages":[…],"tools":[],"parallel_tool_calls":true},
 *                     "preferred_output":[{"role":"assistant","content":"…"}],
 *                     "non_preferred_output":[{"role":"assistant","content":"…"}]}
 *  - TRL's shape:    {"prompt":"…","chosen":"…","rejected":"…"}, or the same keys holding messages
 *                    (prompt: the conversation so far; chosen/rejected: one assistant message each)
 *
 * Each pair becomes two sequences that share the prompt, rendered with the chat template (or as
 * prompt + completion for plain strings); only the answer's tokens are targets. Tool definitions are
 * refused: the chat template has no way to show them to the model.
 */
import { z } from 'zod';
import { DataError } from '../errors';
import { MessageSchema, type ChatMessage } from './messages';
import { renderChat, renderPromptCompletion } from './template';
import type { TextTokenizer } from './tokenizer';

export interface PreferencePair {
  /** The conversation before the answer, or a plain-text prompt. */
  prompt: ChatMessage[] | string;
  chosen: ChatMessage | string;
  rejected: ChatMessage | string;
}

/** Whether a record is a preference pair (either shape). */
export function isPreferenceRecord(o: Record<string, unknown>): boolean {
  return ['input', 'preferred_output', 'non_preferred_output', 'chosen', 'rejected'].some((k) => k in o);
}

const AnswerListSchema = z.array(MessageSchema).length(1, 'must hold exactly one assistant message');

const OpenAiPairSchema = z
  .object({
    input: z
      .object({
        messages: z.array(MessageSchema).min(1),
        tools: z
          .array(z.unknown())
          .max(0, 'tool definitions are not supported (the chat template cannot show them)')
          .optional(),
        parallel_tool_calls: z.boolean().optional(),
      })
      .loose(),
    preferred_output: AnswerListSchema,
    non_preferred_output: AnswerListSchema,
  })
  .loose();

const TrlPairSchema = z
  .object({
    prompt: z.union([z.string(), z.array(MessageSchema).min(1)]),
    chosen: z.union([z.string().min(1), AnswerListSchema]),
    rejected: z.union([z.string().min(1), AnswerListSchema]),
  })
  .loose();

function fail(issue: z.core.$ZodIssue, line: number): never {
  const field = issue.path.join('.');
  throw new DataError(`preference example: ${field || 'record'}: ${issue.message}`, line, field || null);
}

function answer(list: ChatMessage[], field: string, line: number): ChatMessage {
  const m = list[0];
  if (m.role !== 'assistant')
    throw new DataError(`${field}.0.role must be "assistant"`, line, `${field}.0.role`);
  if ('weight' in m && m.weight !== undefined)
    throw new DataError(
      `${field}.0.weight is not allowed: the answer is always learned`,
      line,
      `${field}.0.weight`,
    );
  return m;
}

export function parsePreference(rec: Record<string, unknown>, line: number): PreferencePair {
  if ('preferred_output' in rec || 'non_preferred_output' in rec || 'input' in rec) {
    const r = OpenAiPairSchema.safeParse(rec);
    if (!r.success) fail(r.error.issues[0], line);
    return {
      prompt: r.data.input.messages,
      chosen: answer(r.data.preferred_output, 'preferred_output', line),
      rejected: answer(r.data.non_preferred_output, 'non_preferred_output', line),
    };
  }
  const r = TrlPairSchema.safeParse(rec);
  if (!r.success) fail(r.error.issues[0], line);
  const { prompt, chosen, rejected } = r.data;
  const plain = [prompt, chosen, rejected].map((v) => typeof v === 'string');
  if (plain.some((p) => p !== plain[0]))
    throw new DataError(
      'prompt, chosen and rejected must all be strings or all be messages',
      line,
      plain[1] !== plain[0] ? 'chosen' : 'rejected',
    );
  if (typeof prompt === 'string') return { prompt, chosen: chosen as string, rejected: rejected as string };
  return {
    prompt,
    chosen: answer(chosen as ChatMessage[], 'chosen', line),
    rejected: answer(rejected as ChatMessage[], 'rejected', line),
  };
}

export interface RenderedSequence {
  ids: number[];
  target: number[];
}

/**
 * The two sequences of a pair; they share the prompt's tokens, and only the answers' are targets.
 * With a `limit`, a prompt already longer than it is rendered without the answers (as renderChat).
 */
export function renderPair(
  pair: PreferencePair,
  tok: TextTokenizer,
  limit = Infinity,
): { chosen: RenderedSequence; rejected: RenderedSequence } {
  if (typeof pair.prompt === 'string') {
    return {
      chosen: renderPromptCompletion(pair.prompt, pair.chosen as string, tok, limit),
      rejected: renderPromptCompletion(pair.prompt, pair.rejected as string, tok, limit),
    };
  }
  const prompt = renderChat(pair.prompt, tok, limit);
  if (prompt.ids.length > limit) {
    const cut = { ids: prompt.ids, target: prompt.ids.map(() => 0) };
    return { chosen: cut, rejected: cut };
  }
  const context = { ids: prompt.ids, target: prompt.ids.map(() => 0) };
  const withAnswer = (m: ChatMessage): RenderedSequence => {
    const a = renderChat([m], tok);
    return { ids: [...context.ids, ...a.ids], target: [...context.target, ...a.target] };
  };
  return {
    chosen: withAnswer(pair.chosen as ChatMessage),
    rejected: withAnswer(pair.rejected as ChatMessage),
  };
}
