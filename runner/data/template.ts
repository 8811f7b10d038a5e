/**
 * The chat template: simple, documented, and built only from plain text plus the tokenizer's
 * end-of-sequence token, so it works for char-level and byte-level BPE tokenizers alike.
 *
 *     <role>: <content><eos>          for every message, in order
 *
 * e.g. `system: Be brief.<eos>user: Hi<eos>assistant: Hello!<eos>`.
 * Learned tokens: the content and the closing <eos> of assistant messages whose `weight` is not 0
 * (the model learns what to say and when to stop); role headers are never learned.
 * At inference, feed the conversation followed by `assistant: ` and generate until <eos>.
 */
import type { ChatMessage } from './messages';
import type { TextTokenizer } from './tokenizer';

export function messageText(m: ChatMessage): string {
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) return m.content.map((p) => p.text ?? '').join('');
  // An assistant turn that only calls tools: the calls are what it says.
  return m.tool_calls ? JSON.stringify(m.tool_calls) : '';
}

/**
 * Token ids and, per token, whether it is a loss target. With a `limit`, rendering stops after the
 * message that takes the sequence past `limit` tokens (the first `limit` + 1 are then exactly those
 * of the whole rendering).
 */
export function renderChat(
  messages: ChatMessage[],
  tok: TextTokenizer,
  limit = Infinity,
): { ids: number[]; target: number[] } {
  const ids: number[] = [];
  const target: number[] = [];
  for (const m of messages) {
    if (ids.length > limit) break;
    append(ids, target, tok.encode(`${m.role}: `), 0);
    const learn = m.role === 'assistant' && m.weight !== 0 ? 1 : 0;
    append(ids, target, tok.encode(messageText(m)), learn);
    append(ids, target, [tok.eosId], learn);
  }
  return { ids, target };
}

/** Appends tokens one by one (spreading a long message's tokens into push() overflows the stack). */
function append(ids: number[], target: number[], tokens: number[], learn: number): void {
  for (const t of tokens) {
    ids.push(t);
    target.push(learn);
  }
}

/** Like renderChat: with a `limit`, a prompt already longer than it is all that is rendered. */
export function renderPromptCompletion(
  prompt: string,
  completion: string,
  tok: TextTokenizer,
  limit = Infinity,
): { ids: number[]; target: number[] } {
  const ids: number[] = [];
  const target: number[] = [];
  append(ids, target, tok.encode(prompt), 0);
  if (ids.length > limit) return { ids, target };
  append(ids, target, tok.encode(completion), 1);
  append(ids, target, [tok.eosId], 1);
  return { ids, target };
}
