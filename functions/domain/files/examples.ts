/**
 * One training example per JSONL line, in one of the formats the trainer learns from:
 *  - chat: `{"messages":[{"role":"system"|"user"|"assistant"|"tool","content":"…","weight":0|1}]}`
 *  - prompt_completion: `{"prompt":"…","completion":"…"}`
 *  - classification: `{"text":"…","label":"…"|n}`
 *  - text: `{"text":"…"}` (language-model data)
 * `checkExample` returns the example's format, token estimate and label, or the rule it breaks.
 */
import type { FileFormat } from '../records';

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

export type ExampleCheck =
  { ok: true; format: FileFormat; chars: number; label?: string } | { ok: false; rule: string };

const bad = (rule: string): ExampleCheck => ({ ok: false, rule });
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function detect(o: Record<string, unknown>): FileFormat | undefined {
  if ('messages' in o) return 'chat';
  if ('prompt' in o || 'completion' in o) return 'prompt_completion';
  if ('label' in o) return 'classification';
  if ('text' in o) return 'text';
  return undefined;
}

/** Text of a message's content: a string, or OpenAI's array of `{type:"text",text}` parts. */
function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const texts = content.map((p) =>
      isObject(p) && p.type === 'text' && typeof p.text === 'string' ? p.text : undefined,
    );
    if (texts.every((t) => t !== undefined)) return texts.join('');
  }
  return undefined;
}

function checkChat(o: Record<string, unknown>): ExampleCheck {
  const messages = o.messages;
  if (!Array.isArray(messages) || messages.length === 0) return bad('"messages" must be a non-empty array');
  let chars = 0;
  let assistants = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const at = `messages[${i}]`;
    if (!isObject(m)) return bad(`${at} must be an object`);
    if (typeof m.role !== 'string' || !ROLES.has(m.role)) {
      return bad(`${at}.role must be one of system, user, assistant, tool (got ${JSON.stringify(m.role)})`);
    }
    const hasToolCalls = m.role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length > 0;
    const text = contentText(m.content);
    if (text === undefined && !(hasToolCalls && (m.content === undefined || m.content === null))) {
      return bad(`${at}.content must be a string or an array of text parts`);
    }
    if (text !== undefined && text.trim() === '' && !hasToolCalls)
      return bad(`${at}.content must not be empty`);
    if ('weight' in m) {
      if (m.role !== 'assistant') return bad(`${at}.weight is only allowed on assistant messages`);
      if (m.weight !== 0 && m.weight !== 1) return bad(`${at}.weight must be 0 or 1`);
    }
    if (m.role === 'assistant') assistants++;
    chars += (text ?? '').length + (hasToolCalls ? JSON.stringify(m.tool_calls).length : 0);
  }
  if (assistants === 0) return bad('at least one message must have role "assistant" (the target to learn)');
  return { ok: true, format: 'chat', chars };
}

function checkPromptCompletion(o: Record<string, unknown>): ExampleCheck {
  if (typeof o.prompt !== 'string') return bad('"prompt" must be a string');
  if (typeof o.completion !== 'string' || o.completion.trim() === '')
    return bad('"completion" must be a non-empty string');
  return { ok: true, format: 'prompt_completion', chars: o.prompt.length + o.completion.length };
}

function checkClassification(o: Record<string, unknown>): ExampleCheck {
  if (typeof o.text !== 'string' || o.text.trim() === '') return bad('"text" must be a non-empty string');
  const label = o.label;
  if (!(
    (typeof label === 'string' && label.trim() !== '') ||
    (typeof label === 'number' && Number.isInteger(label))
  )) {
    return bad('"label" must be a non-empty string or an integer');
  }
  return { ok: true, format: 'classification', chars: o.text.length, label: String(label) };
}

function checkText(o: Record<string, unknown>): ExampleCheck {
  if (typeof o.text !== 'string' || o.text.trim() === '') return bad('"text" must be a non-empty string');
  return { ok: true, format: 'text', chars: o.text.length };
}

export function checkExample(value: unknown): ExampleCheck {
  if (!isObject(value)) return bad('each line must be a JSON object');
  switch (detect(value)) {
    case 'chat':
      return checkChat(value);
    case 'prompt_completion':
      return checkPromptCompletion(value);
    case 'classification':
      return checkClassification(value);
    case 'text':
      return checkText(value);
    default:
      return bad(
        'unrecognised example: expected "messages" (chat), "prompt"/"completion", or "text" with "label" (classification)',
      );
  }
}
