/**
 * Reads the contract's JSON Schemas (picked from openapi.json at build time) into form fields: the
 * hyperparameter form and the explanations on a job's page come from the same schema the API
 * validates with, so a new hyperparameter or a changed range shows up here without a code change.
 */
import schemas from 'tuneplane:contract';

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  maxItems?: number;
}

export type Field =
  | {
      kind: 'number';
      name: string;
      help: string;
      integer: boolean;
      auto: boolean;
      nullable: boolean;
      range: string;
      schema: JsonSchema;
    }
  | { kind: 'enum'; name: string; help: string; options: string[]; defaultValue?: string }
  | { kind: 'boolean'; name: string; help: string; defaultValue?: boolean }
  | { kind: 'object'; name: string; help: string; nullable: boolean; fields: Field[] }
  | { kind: 'steps'; name: string; help: string; maxItems?: number }
  | { kind: 'string'; name: string; help: string; defaultValue?: string };

export function schema(name: string): JsonSchema {
  const s = schemas[name];
  if (!s) throw new Error(`the contract has no schema ${name}`);
  return s;
}

/** Follows `$ref` and merges `allOf` parts, keeping the outermost description. */
export function deref(s: JsonSchema): JsonSchema {
  if (s.$ref)
    return {
      ...deref(schema(s.$ref.split('/').at(-1)!)),
      ...(s.description ? { description: s.description } : {}),
    };
  if (s.allOf) {
    const merged = s.allOf
      .map(deref)
      .reduce((a, b) => ({ ...a, ...b, description: b.description ?? a.description }), {});
    return { ...merged, ...(s.description ? { description: s.description } : {}) };
  }
  return s;
}

function rangeOf(s: JsonSchema): string {
  const lo =
    s.minimum !== undefined
      ? `≥ ${s.minimum}`
      : s.exclusiveMinimum !== undefined
        ? `> ${s.exclusiveMinimum}`
        : '';
  const hi =
    s.maximum !== undefined
      ? `≤ ${s.maximum}`
      : s.exclusiveMaximum !== undefined
        ? `< ${s.exclusiveMaximum}`
        : '';
  return [lo, hi].filter(Boolean).join(', ');
}

/** One field per property of an object schema, in the schema's order. */
export function fieldsOf(objectSchema: JsonSchema): Field[] {
  const props = deref(objectSchema).properties ?? {};
  return Object.entries(props).map(([name, raw]) => fieldFor(name, raw));
}

export function fieldFor(name: string, raw: JsonSchema): Field {
  const s = deref(raw);
  let help = s.description ?? '';
  const variants = (s.anyOf ?? [s]).map(deref);
  const nullable = variants.some((v) => v.type === 'null');
  const auto = variants.some((v) => v.enum?.length === 1 && v.enum[0] === 'auto');
  const concrete = variants.filter(
    (v) => v.type !== 'null' && !(v.enum?.length === 1 && v.enum[0] === 'auto'),
  );
  const main = concrete[0] ?? s;
  help ||= main.description ?? '';
  if (main.type === 'integer' || main.type === 'number') {
    return {
      kind: 'number',
      name,
      help,
      integer: main.type === 'integer',
      auto,
      nullable,
      range: rangeOf(main),
      schema: main,
    };
  }
  if (main.enum && main.enum.every((e) => typeof e === 'string')) {
    return {
      kind: 'enum',
      name,
      help,
      options: main.enum as string[],
      defaultValue: main.default as string | undefined,
    };
  }
  if (main.type === 'boolean')
    return { kind: 'boolean', name, help, defaultValue: main.default as boolean | undefined };
  if (main.type === 'object' && main.properties) {
    return { kind: 'object', name, help: help || (main.description ?? ''), nullable, fields: fieldsOf(main) };
  }
  if (main.type === 'array') return { kind: 'steps', name, help, maxItems: main.maxItems };
  return { kind: 'string', name, help, defaultValue: main.default as string | undefined };
}

/** The help text of a hyperparameter by dotted path (`early_stopping.patience`), for explanations. */
export function hyperparameterHelp(path: string): string {
  let fields = fieldsOf(schema('Hyperparameters'));
  let found: Field | undefined;
  for (const part of path.split('.')) {
    found = fields.find((f) => f.name === part);
    if (!found) return '';
    fields = found.kind === 'object' ? found.fields : [];
  }
  return found?.help ?? '';
}

/** "integer ≥ 1, ≤ 50, or auto" and the like: the rule beside a field. */
export function ruleText(f: Field): string {
  switch (f.kind) {
    case 'number': {
      const parts = [f.integer ? 'integer' : 'number', f.range].filter(Boolean).join(' ');
      return [parts, f.auto ? 'or auto' : '', f.nullable ? 'or none' : ''].filter(Boolean).join(', ');
    }
    case 'enum':
      return f.options.join(' | ') + (f.defaultValue ? ` (default ${f.defaultValue})` : '');
    case 'boolean':
      return f.defaultValue === undefined ? 'true | false' : `true | false (default ${f.defaultValue})`;
    case 'steps':
      return `list of step:batch_size${f.maxItems ? `, at most ${f.maxItems}` : ''}`;
    default:
      return f.kind === 'string' && f.defaultValue ? `default ${f.defaultValue}` : '';
  }
}
