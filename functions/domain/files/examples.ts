/**
 * One training example per JSONL line, in one of the formats the trainer learns from:
 *  - chat: `{"messages":[{"role":"system"|"user"|"assistant"|"tool","content":"…","weight":0|1}]}`
 *  - prompt_completion: `{"prompt":"…","completion":"…"}`
 *  - classification: `{"text":"…","label":"…"|n}`
 *  - text: `{"text":"…"}` (language-model data)
 *  - preference (DPO): OpenAI's `{"input":{"messages":[…]},"preferred_output":[{assistant}],
 *    "non_preferred_output":[{assistant}]}` or TRL's `{"prompt","chosen","rejected"}`
 * `checkExample` returns the example's format, token estimate and label, or the rule it breaks.
 * A preference pair's estimate counts what training reads: the prompt twice and both answers.
 */
import type { FileFormat } from '../records';

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

export type ExampleCheck =
  { ok: true; format: FileFormat; chars: number; label?: string } | { ok: false; rule: string };

const bad = (rule: string): ExampleCheck => ({ ok: false, rule });
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const PREFERENCE_KEYS = ['input', 'preferred_output', 'non_preferred_output', 'chosen', 'rejected'];

function detect(o: Record<string, unknown>): FileFormat | undefined {
  if (PREFERENCE_KEYS.some((k) => k in o)) return 'preference';
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

/** The rule a list of chat messages breaks (named under `field`), or its characters and assistant turns. */
function checkMessages(
  messages: unknown,
  field: string,
): { chars: number; assistants: number } | { rule: string } {
  if (!Array.isArray(messages) || messages.length === 0)
    return { rule: `"${field}" must be a non-empty array` };
  const fail = (rule: string) => ({ rule });
  let chars = 0;
  let assistants = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const at = `${field}[${i}]`;
    if (!isObject(m)) return fail(`${at} must be an object`);
    if (typeof m.role !== 'string' || !ROLES.has(m.role)) {
      return fail(`${at}.role must be one of system, user, assistant, tool (got ${JSON.stringify(m.role)})`);
    }
    const hasToolCalls = m.role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length > 0;
    const text = contentText(m.content);
    if (text === undefined && !(hasToolCalls && (m.content === undefined || m.content === null))) {
      return fail(`${at}.content must be a string or an array of text parts`);
    }
    if (text !== undefined && text.trim() === '' && !hasToolCalls)
      return fail(`${at}.content must not be empty`);
    if ('weight' in m) {
      if (m.role !== 'assistant') return fail(`${at}.weight is only allowed on assistant messages`);
      if (m.weight !== 0 && m.weight !== 1) return fail(`${at}.weight must be 0 or 1`);
    }
    if (m.role === 'assistant') assistants++;
    chars += (text ?? '').length + (hasToolCalls ? JSON.stringify(m.tool_calls).length : 0);
  }
  return { chars, assistants };
}

function checkChat(o: Record<string, unknown>): ExampleCheck {
  const r = checkMessages(o.messages, 'messages');
  if ('rule' in r) return bad(r.rule);
  if (r.assistants === 0) return bad('at least one message must have role "assistant" (the target to learn)');
  return { ok: true, format: 'chat', chars: r.chars };
}

/** One answer of a pair: a string (TRL's plain shape) or a list of exactly one assistant message. */
function checkAnswer(v: unknown, field: string, plain: boolean): number | { rule: string } {
  if (plain) {
    if (typeof v !== 'string' || v.trim() === '') return { rule: `"${field}" must be a non-empty string` };
    return v.length;
  }
  if (!Array.isArray(v) || v.length !== 1)
    return { rule: `"${field}" must be a list of exactly one assistant message` };
  if (!isObject(v[0]) || v[0].role !== 'assistant')
    return {
      rule: `${field}[0].role must be "assistant" (got ${JSON.stringify(isObject(v[0]) ? v[0].role : v[0])})`,
    };
  if ('weight' in v[0]) return { rule: `${field}[0].weight is not allowed: the answer is always learned` };
  const r = checkMessages(v, field);
  return 'rule' in r ? r : r.chars;
}

function checkPreference(o: Record<string, unknown>): ExampleCheck {
  const openAi = 'input' in o || 'preferred_output' in o || 'non_preferred_output' in o;
  let prompt: number;
  let names: [string, string];
  let plain = false;
  if (openAi) {
    if (!isObject(o.input)) return bad('"input" must be an object holding "messages"');
    const tools = o.input.tools;
    if (tools !== undefined && !(Array.isArray(tools) && tools.length === 0))
      return bad(
        'input.tools: tool definitions are not supported (the chat template cannot show them to the model)',
      );
    const r = checkMessages(o.input.messages, 'input.messages');
    if ('rule' in r) return bad(r.rule);
    prompt = r.chars;
    names = ['preferred_output', 'non_preferred_output'];
  } else {
    plain = typeof o.prompt === 'string';
    if (plain) prompt = (o.prompt as string).length;
    else {
      const r = checkMessages(o.prompt, 'prompt');
      if ('rule' in r) return bad(`${r.rule} (or a string)`);
      prompt = r.chars;
    }
    names = ['chosen', 'rejected'];
  }
  let chars = 2 * prompt;
  for (const name of names) {
    const a = checkAnswer(o[name], name, plain);
    if (typeof a !== 'number') return bad(a.rule);
    chars += a;
  }
  return { ok: true, format: 'preference', chars };
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
    case 'preference':
      return checkPreference(value);
    default:
      return bad(
        'unrecognised example: expected "messages" (chat), "prompt"/"completion", "text" with "label" (classification), or a preference pair ("input", "preferred_output", "non_preferred_output")',
      );
  }
}
