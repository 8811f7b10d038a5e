/**
 * Templates as OpenAI's graders render them: `{{ namespace.variable }}` with the namespaces `item`
 * (the data source row) and `sample` (the model's output: `output_text`, `output_json`,
 * `output_tools`, `choices`), nested values by a JSON-path-like path (`item.a.b[0]`,
 * `sample.output_json["key"]`). A string value is inserted as it is; any other value as JSON.
 */

export const NAMESPACES = ['item', 'sample'] as const;
export type Namespace = (typeof NAMESPACES)[number];

/** The variables OpenAI's `sample` namespace offers. */
export const SAMPLE_VARIABLES = [
  'output_text',
  'output_json',
  'output_tools',
  'choices',
  'output_audio',
] as const;

export interface TemplateVariables {
  item: Record<string, unknown>;
  sample?: SampleNamespace | null;
}

export interface SampleNamespace {
  output_text: string;
  output_json?: unknown;
  output_tools: unknown[];
  choices: unknown[];
}

export interface Reference {
  /** The text between the braces, trimmed. */
  raw: string;
  namespace: string;
  /** Keys and indexes after the namespace. */
  path: (string | number)[];
}

/** A reference that cannot be parsed or resolved; `reference` is the text between the braces. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly reference: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

const REFERENCE = /\{\{([^{}]*)\}\}/g;
const SEGMENT = /^(?:\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\['((?:[^'\\]|\\.)*)'\])/;

export function parseReference(raw: string): Reference {
  const text = raw.trim();
  const head = /^([A-Za-z_][\w]*)/.exec(text);
  if (!head) throw new TemplateError(`"{{${raw}}}" is not a reference (expected namespace.variable)`, text);
  const path: (string | number)[] = [];
  let rest = text.slice(head[1].length);
  while (rest.length) {
    const m = SEGMENT.exec(rest);
    if (!m) throw new TemplateError(`"{{${raw}}}": cannot read the path at "${rest}"`, text);
    if (m[1] !== undefined) path.push(m[1]);
    else if (m[2] !== undefined) path.push(Number(m[2]));
    else path.push((m[3] ?? m[4]).replace(/\\(.)/g, '$1'));
    rest = rest.slice(m[0].length);
  }
  if (!(NAMESPACES as readonly string[]).includes(head[1]))
    throw new TemplateError(
      `"{{${raw}}}": unknown namespace "${head[1]}" (use item or sample, e.g. {{item.answer}} or {{sample.output_text}})`,
      text,
    );
  if (path.length === 0)
    throw new TemplateError(`"{{${raw}}}": name a variable inside ${head[1]} (e.g. {{${head[1]}.x}})`, text);
  return { raw: text, namespace: head[1], path };
}

/** Every reference in a template, parsed (throws TemplateError on the first bad one). */
export function referencesOf(template: string): Reference[] {
  return [...template.matchAll(REFERENCE)].map((m) => parseReference(m[1]));
}

function lookup(root: unknown, ref: Reference): unknown {
  let value: unknown = root;
  for (const key of ref.path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) {
      throw new TemplateError(`{{${ref.raw}}} has no value in this ${ref.namespace}`, ref.raw);
    }
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

export function resolve(ref: Reference, vars: TemplateVariables): unknown {
  if (ref.namespace === 'sample') {
    if (!vars.sample)
      throw new TemplateError(`{{${ref.raw}}}: this grading has no sample (no model output)`, ref.raw);
    return lookup(vars.sample, ref);
  }
  return lookup(vars.item, ref);
}

const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** The template with every reference replaced by its value. */
export function render(template: string, vars: TemplateVariables): string {
  return template.replace(REFERENCE, (_m, raw: string) => asText(resolve(parseReference(raw), vars)));
}

/** OpenAI's sample namespace for a model's text output (`output_json` when the text is JSON). */
export function sampleNamespace(outputText: string): SampleNamespace {
  const sample: SampleNamespace = {
    output_text: outputText,
    output_tools: [],
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: outputText } }],
  };
  try {
    const parsed: unknown = JSON.parse(outputText);
    if (parsed !== null && typeof parsed === 'object') sample.output_json = parsed;
  } catch {
    // not JSON: no output_json, as OpenAI
  }
  return sample;
}
