/**
 * How a conversation becomes tokens, for training and for serving alike, so a tuned model is
 * prompted exactly as it was trained:
 *
 *  - a model folder whose tokenizer_config.json has a `chat_template` (Hugging Face's Jinja
 *    templates) is rendered with it by @huggingface/jinja, Hugging Face's own JavaScript
 *    implementation, with the tokenizer's special tokens (bos_token, eos_token, …) in scope;
 *  - any other model uses ours (template.ts), whose Jinja form we write into the tuned model's
 *    tokenizer_config.json so Hugging Face tooling renders the same text.
 *
 * Training learns each assistant turn's text plus what the template closes it with (its
 * end-of-turn token), found by rendering the conversation up to that turn with and without it. So
 * that prompts at serving time are tokenized exactly as in training, the same pieces are encoded
 * one by one in both (a BPE merge never straddles a turn boundary). The end-of-turn token, the first
 * special token a template writes after an assistant's text, ends generation.
 */
import { Template } from '@huggingface/jinja';
import { DataError } from '../errors';
import type { ChatMessage } from './formats';
import { messageText, renderChat } from './template';

export interface ChatTokenizer {
  encode(text: string): number[];
  readonly eosId: number;
  readonly padId: number;
  readonly specialTokens: readonly { id: number; content: string }[];
  files(): { 'tokenizer_config.json': Record<string, unknown> };
}

/** A message as serving receives it: the role and its text. */
export interface PromptMessage {
  role: string;
  content: string;
}

export interface ChatFormat {
  /** 'tuneplane' (ours) or 'jinja' (the model's chat_template). */
  readonly kind: 'tuneplane' | 'jinja';
  /** The Jinja source to keep in tokenizer_config.json as chat_template. */
  readonly template: string;
  /** Token ids and, per token, whether it is learned. */
  renderTraining(messages: ChatMessage[]): { ids: number[]; target: number[] };
  /** The conversation followed by the prompt for the assistant's next turn. */
  renderPrompt(messages: PromptMessage[]): number[];
  /** Tokens that end an assistant turn (end of turn and end of sequence). */
  readonly stopTokenIds: readonly number[];
}

/** Our template (template.ts) as Jinja: what we save with a tuned model for Hugging Face tooling. */
export const TUNEPLANE_CHAT_TEMPLATE =
  "{% for message in messages %}{{ message['role'] + ': ' + message['content'] + eos_token }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}";

export function chatFormatFor(tok: ChatTokenizer): ChatFormat {
  const source = tok.files()['tokenizer_config.json'].chat_template;
  if (source === undefined || source === null || source === TUNEPLANE_CHAT_TEMPLATE)
    return tuneplaneFormat(tok);
  if (typeof source !== 'string') {
    // A list of named templates (tokenizer_config.json allows it): the one named "default".
    const named = Array.isArray(source)
      ? (source as { name?: string; template?: string }[]).find((t) => t.name === 'default')?.template
      : undefined;
    if (!named)
      throw new DataError('tokenizer_config.json chat_template must be a string', null, 'chat_template');
    return jinjaFormat(tok, named);
  }
  return jinjaFormat(tok, source);
}

function tuneplaneFormat(tok: ChatTokenizer): ChatFormat {
  return {
    kind: 'tuneplane',
    template: TUNEPLANE_CHAT_TEMPLATE,
    renderTraining: (messages) => renderChat(messages, tok),
    renderPrompt: (messages) => [
      ...renderChat(
        messages.map((m) => ({ role: m.role as ChatMessage['role'], content: m.content })),
        tok,
      ).ids,
      ...tok.encode('assistant: '),
    ],
    stopTokenIds: [tok.eosId],
  };
}

function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string')
    return (value as { content: string }).content;
  return undefined;
}

function jinjaFormat(tok: ChatTokenizer, source: string): ChatFormat {
  let template: Template;
  try {
    template = new Template(source);
  } catch (err) {
    throw new DataError(`chat_template does not parse: ${(err as Error).message}`, null, 'chat_template');
  }
  const config = tok.files()['tokenizer_config.json'];
  const specials: Record<string, string> = {};
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
    const v = tokenContent(config[key]);
    if (v !== undefined) specials[key] = v;
  }
  const render = (messages: { role: string; content: string }[], addGenerationPrompt: boolean): string => {
    try {
      return template.render({ messages, add_generation_prompt: addGenerationPrompt, ...specials });
    } catch (err) {
      throw new DataError(`chat_template failed to render: ${(err as Error).message}`, null, 'messages');
    }
  };

  /** Pieces of text, each encoded alone; `learn` marks assistant turns (and what closes them). */
  const pieces = (
    messages: { role: string; content: string; learn?: boolean }[],
    addGenerationPrompt: boolean,
  ): { text: string; learn: boolean }[] => {
    const out: { text: string; learn: boolean }[] = [];
    let covered = '';
    const plain = (ms: typeof messages) => ms.map((m) => ({ role: m.role, content: m.content }));
    messages.forEach((m, i) => {
      if (m.role !== 'assistant') return;
      const before = render(plain(messages.slice(0, i)), true);
      const through = render(plain(messages.slice(0, i + 1)), false);
      if (!before.startsWith(covered) || !through.startsWith(before)) {
        throw new DataError(
          'the chat_template does not render a conversation as a prefix of its continuation, so assistant turns cannot be told apart',
          null,
          `messages.${i}`,
        );
      }
      out.push({ text: before.slice(covered.length), learn: false });
      out.push({ text: through.slice(before.length), learn: m.learn ?? false });
      covered = through;
    });
    const all = render(plain(messages), addGenerationPrompt);
    if (!all.startsWith(covered))
      throw new DataError('the chat_template renders the last turns differently', null, 'messages');
    out.push({ text: all.slice(covered.length), learn: false });
    return out.filter((p) => p.text !== '');
  };

  const endOfTurn = (): number[] => {
    const mark = '\u0001tuneplane-end-of-turn-probe\u0001';
    const text = render(
      [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: mark },
      ],
      false,
    );
    const after = text.slice(text.indexOf(mark) + mark.length);
    let first: { id: number; at: number } | undefined;
    for (const s of tok.specialTokens) {
      const at = after.indexOf(s.content);
      if (at >= 0 && (!first || at < first.at)) first = { id: s.id, at };
    }
    return first && first.id !== tok.eosId ? [first.id, tok.eosId] : [tok.eosId];
  };

  return {
    kind: 'jinja',
    template: source,
    renderTraining(messages) {
      const ids: number[] = [];
      const target: number[] = [];
      const ps = pieces(
        messages.map((m) => ({
          role: m.role,
          content: messageText(m),
          learn: m.role === 'assistant' && m.weight !== 0,
        })),
        false,
      );
      for (const p of ps) {
        const encoded = tok.encode(p.text);
        ids.push(...encoded);
        target.push(...encoded.map(() => (p.learn ? 1 : 0)));
      }
      return { ids, target };
    },
    renderPrompt: (messages) => pieces(messages, true).flatMap((p) => tok.encode(p.text)),
    stopTokenIds: endOfTurn(),
  };
}
