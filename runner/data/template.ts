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
import type { ChatMessage } from './formats';
import type { TextTokenizer } from './tokenizer';

export function messageText(m: ChatMessage): string {
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) return m.content.map((p) => p.text ?? '').join('');
  // An assistant turn that only calls tools: the calls are what it says.
  return m.tool_calls ? JSON.stringify(m.tool_calls) : '';
}

/** Token ids and, per token, whether it is a loss target. */
export function renderChat(messages: ChatMessage[], tok: TextTokenizer): { ids: number[]; target: number[] } {
  const ids: number[] = [];
  const target: number[] = [];
  for (const m of messages) {
    const header = tok.encode(`${m.role}: `);
    ids.push(...header);
    target.push(...header.map(() => 0));
    const learn = m.role === 'assistant' && m.weight !== 0 ? 1 : 0;
    const body = [...tok.encode(messageText(m)), tok.eosId];
    ids.push(...body);
    target.push(...body.map(() => learn));
  }
  return { ids, target };
}

export function renderPromptCompletion(
  prompt: string,
  completion: string,
  tok: TextTokenizer,
): { ids: number[]; target: number[] } {
  const p = tok.encode(prompt);
  const c = [...tok.encode(completion), tok.eosId];
  return { ids: [...p, ...c], target: [...p.map(() => 0), ...c.map(() => 1)] };
}
