/**
 * A property-based fuzzer driven by the API's own OpenAPI document (GET /openapi.json): for every
 * operation, fast-check builds requests from the document's schemas — valid values, boundary
 * values, malformed ones (wrong types, missing or unknown fields, huge strings, odd unicode,
 * broken JSON), bad ids, bad query parameters and bad headers — sends them over real HTTP and
 * checks what any client may rely on: never a 5xx, every 4xx in the error envelope
 * (`{error:{message,type,param,code}}`), an `x-request-id` on every response.
 *
 * Used by test/fuzz/openapi-fuzz.test.ts (fixed seed, a few hundred requests) and by
 * `npm run fuzz` (test/fuzz/run.ts: longer, prints every finding).
 */
import fc from 'fast-check';

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON Schema is untyped JSON here. */
type Schema = Record<string, any>;

export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Schema;
  style?: string;
}

interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
}

export type FuzzBody =
  | { kind: 'json'; text: string }
  | { kind: 'raw'; contentType: string; text: string }
  | { kind: 'multipart'; fields: [string, string | { filename: string; content: string; type: string }][] };

export interface FuzzRequest {
  operation: string;
  method: string;
  /** Path with parameters filled in (already percent-encoded where they should be). */
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  body?: FuzzBody;
}

export interface Finding {
  request: FuzzRequest;
  status: number;
  problem: string;
  body: string;
}

/** Ids that exist in the fuzzed tenant, so some requests get past the lookup. */
export type KnownIds = Partial<Record<string, string[]>>;

const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\t\r\n',
  'ü',
  '日本語',
  '😀',
  '\ud800',
  '\u202egnp.exe',
  '..',
  '../../etc/passwd',
  '%',
  '%00',
  '%zz',
  '/',
  'null',
  'undefined',
  '-1',
  '0',
  '1e309',
  'NaN',
  '{}',
  '[]',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  'file-',
  'ftjob-',
  'A'.repeat(300),
  'x'.repeat(70_000),
];

const oddString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

const oddNumber = fc.constantFrom(
  -1,
  0,
  1,
  -0.5,
  1.5,
  2 ** 31,
  2 ** 53 + 1,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  1e308,
  -1e308,
  5e-324,
);

/** Any JSON value of the wrong kind for a field. */
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  oddNumber,
  oddString,
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

export class SchemaArbitraries {
  constructor(private readonly doc: OpenApiDoc) {}

  /** The schema behind a `$ref`. */
  resolve(schema: Schema): Schema {
    let s = schema;
    for (let i = 0; s?.$ref && i < 20; i++) s = this.doc.components.schemas[s.$ref.split('/').pop()!];
    return s ?? {};
  }

  /** Values the schema accepts (mostly), boundaries included; `depth` bounds recursion. */
  valid(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    if (depth > 6) return fc.constant(null);
    if ('const' in s) return fc.constant(s.const);
    if (s.enum) return fc.constantFrom(...(s.enum as unknown[]));
    for (const key of ['oneOf', 'anyOf'] as const)
      if (s[key]) return fc.oneof(...(s[key] as Schema[]).map((x) => this.valid(x, depth + 1)));
    if (s.allOf)
      return fc
        .tuple(...(s.allOf as Schema[]).map((x) => this.valid(x, depth + 1)))
        .map((parts) => Object.assign({}, ...parts.filter((p) => p && typeof p === 'object')));
    const types: string[] = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
    if (types.length > 1) return fc.oneof(...types.map((t) => this.valid({ ...s, type: t }, depth)));
    switch (types[0]) {
      case 'null':
        return fc.constant(null);
      case 'boolean':
        return fc.boolean();
      case 'integer':
      case 'number': {
        const int = types[0] === 'integer';
        const min =
          s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + (int ? 1 : 1e-9) : -1e6);
        const max =
          s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - (int ? 1 : 1e-9) : 1e6);
        const inRange = int
          ? fc.integer({ min: Math.ceil(Math.max(min, -(2 ** 31))), max: Math.floor(Math.min(max, 2 ** 31)) })
          : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
        return fc.oneof(
          { weight: 4, arbitrary: inRange },
          { weight: 1, arbitrary: fc.constantFrom(min, max) },
        );
      }
      case 'string': {
        if (s.format === 'uri') return fc.oneof(fc.webUrl(), fc.constant('https://example.com/hook'));
        if (s.pattern) {
          try {
            return fc.stringMatching(new RegExp(s.pattern)).map((v) => v.slice(0, s.maxLength ?? 256));
          } catch {
            // A pattern JavaScript cannot read: plain strings below.
          }
        }
        return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 64) });
      }
      case 'array':
        return fc.array(this.valid(s.items ?? {}, depth + 1), {
          minLength: s.minItems ?? 0,
          maxLength: Math.min(s.maxItems ?? 4, 4),
        });
      case 'object':
      default: {
        const props = (s.properties ?? {}) as Record<string, Schema>;
        const required = new Set<string>(s.required ?? []);
        const shape: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, v] of Object.entries(props)) shape[k] = this.valid(v, depth + 1);
        const record = fc.record(shape, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) });
        if (s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties)
          return fc.dictionary(
            fc.string({ minLength: 1, maxLength: 8 }),
            this.valid(s.additionalProperties, depth + 1),
            {
              maxKeys: 3,
            },
          );
        return record;
      }
    }
  }

  /** Valid values, with some fields broken: wrong types, out of range, missing, unknown, odd. */
  fuzzed(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const props = s.properties as Record<string, Schema> | undefined;
    if (depth > 4 || !props || Array.isArray(s.type)) {
      return fc.oneof(
        { weight: 5, arbitrary: this.valid(s, depth) },
        { weight: 2, arbitrary: wrongType },
        { weight: 1, arbitrary: oddNumber },
      );
    }
    const shape: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [k, v] of Object.entries(props)) shape[k] = this.fuzzed(v, depth + 1);
    return fc
      .tuple(
        fc.record(shape, { requiredKeys: [] }),
        fc.option(
          fc.tuple(
            oddString.filter((k) => k.length < 100),
            wrongType,
          ),
          { freq: 5 },
        ),
      )
      .map(([obj, extra]) => (extra ? { ...obj, [extra[0]]: extra[1] } : obj));
  }
}

/** Header values fetch can send (Latin-1, no CR/LF/NUL), odd ones included. */
const headerValue = fc.oneof(
  fc.constantFrom('', ' ', 'a', 'ü', 'x'.repeat(8000), '../..', 'null', '\u00ff\u00fe', 'key with spaces'),
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c === 0x7f ? 0x7e : c)),
    maxLength: 60,
  }),
);

/** Lone surrogates become U+FFFD (a URL cannot carry them; a browser sends the same). */
const wellFormed = (v: string) =>
  v.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
const encode = (v: string) => encodeURIComponent(wellFormed(v));

function segment(known: string[] | undefined): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: known?.length ? 4 : 0,
      arbitrary: known?.length ? fc.constantFrom(...known) : fc.constant('x'),
    },
    { weight: 3, arbitrary: oddString.map(encode) },
    // Not encoded: raw '%', '..', odd bytes as the path's own characters.
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '..', '.', '%2F', '%00', 'a;b', 'a?b=1') },
  );
}

/** One operation's requests. */
function operationRequests(
  arbs: SchemaArbitraries,
  method: string,
  path: string,
  op: Operation,
  auth: { key: string; otherKey: string },
  known: KnownIds,
): fc.Arbitrary<FuzzRequest> {
  const params = op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');

  const pathArb = fc
    .tuple(...pathParams.map((p) => segment(known[p.name])))
    .map((values) => pathParams.reduce((acc, p, i) => acc.replace(`{${p.name}}`, values[i]), path));

  const queryValue = (p: Parameter): fc.Arbitrary<[string, string][]> => {
    if (p.style === 'deepObject')
      return fc
        .dictionary(
          oddString.filter((k) => k.length < 50),
          oddString.filter((v) => v.length < 600),
          { maxKeys: 3 },
        )
        .map((d) => Object.entries(d).map(([k, v]) => [`${p.name}[${k}]`, v] as [string, string]));
    return fc
      .oneof(
        { weight: 3, arbitrary: arbs.valid(p.schema).map((v) => String(v)) },
        { weight: 2, arbitrary: oddString },
        { weight: 1, arbitrary: oddNumber.map(String) },
        { weight: known[p.name] ? 1 : 0, arbitrary: fc.constantFrom(...(known[p.name] ?? ['x'])) },
      )
      .map((v) => [[p.name, v]]);
  };
  const queryArb = fc
    .tuple(
      ...queryParams.map((p) => fc.option(queryValue(p), { freq: 2 }).map((v) => v ?? [])),
      // Unknown and repeated parameters.
      fc.option(
        fc.tuple(
          oddString.filter((k) => k.length < 50),
          oddString.filter((v) => v.length < 600),
        ),
        {
          freq: 4,
        },
      ),
    )
    .map((parts) => {
      const extra = parts.pop() as [string, string] | null;
      const pairs = (parts as [string, string][][]).flat();
      return extra ? [...pairs, extra] : pairs;
    });

  const headersArb = fc
    .record(
      {
        authorization: fc.oneof(
          { weight: 12, arbitrary: fc.constant(`Bearer ${auth.key}`) },
          { weight: 1, arbitrary: fc.constant(`Bearer ${auth.otherKey}`) },
          { weight: 1, arbitrary: headerValue.map((v) => `Bearer ${v}`) },
          { weight: 1, arbitrary: headerValue },
        ),
        'idempotency-key': headerValue,
        'x-request-id': headerValue,
        accept: fc.constantFrom('application/json', '*/*', 'text/html', 'application/xml;q=0.1'),
      },
      { requiredKeys: ['authorization'] },
    )
    .map((h) => h as Record<string, string>);

  const content = op.requestBody?.content ?? {};
  let bodyArb: fc.Arbitrary<FuzzBody | undefined> = fc.constant(undefined);
  if (content['application/json']) {
    const schema = content['application/json'].schema;
    const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
    bodyArb = fc.oneof(
      {
        weight: 6,
        arbitrary: arbs.fuzzed(schema).map((v) => ({ kind: 'json' as const, text: JSON.stringify(v) })),
      },
      {
        weight: 3,
        arbitrary: arbs.valid(schema).map((v) => ({ kind: 'json' as const, text: JSON.stringify(v) })),
      },
      {
        weight: 2,
        arbitrary: fc
          .constantFrom(
            '',
            '{',
            '{"a":',
            'null',
            '[]',
            '"text"',
            '1',
            '{"__proto__":{"x":1}}',
            '\ufeff{}',
            nested(20_000),
          )
          .map((text) => ({ kind: 'json' as const, text })),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.constantFrom(
              'text/plain',
              'application/x-www-form-urlencoded',
              'application/json; charset=latin1',
              '',
            ),
            oddString,
          )
          .map(([contentType, text]) => ({ kind: 'raw' as const, contentType, text })),
      },
    );
  } else if (content['multipart/form-data']) {
    const props = Object.keys(arbs.resolve(content['multipart/form-data'].schema).properties ?? {});
    const line = fc.oneof(
      fc.constant('{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}'),
      fc.constant('{"prompt":"a","completion":"b"}'),
      fc.json({ maxDepth: 2 }),
      oddString,
    );
    const fileArb = fc.record({
      filename: fc.oneof(
        fc.constant('train.jsonl'),
        oddString.filter((v) => v.length < 300),
      ),
      content: fc.array(line, { maxLength: 6 }).map((l) => l.join('\n')),
      type: fc.constantFrom('application/jsonl', 'application/octet-stream', 'text/plain', ''),
    });
    const fieldValue = (name: string): fc.Arbitrary<string> =>
      name === 'purpose'
        ? fc.oneof(
            fc.constantFrom('fine-tune', 'assistants', 'batch', 'vision', 'user_data', 'evals'),
            oddString,
          )
        : fc.oneof(fc.constantFrom('created_at', '3600', '2592000', '3599', '-1', '1e3'), oddString);
    bodyArb = fc
      .tuple(
        fc.option(fc.oneof({ weight: 5, arbitrary: fileArb }, { weight: 1, arbitrary: oddString }), {
          freq: 8,
        }),
        fc.tuple(...props.filter((p) => p !== 'file').map((p) => fc.option(fieldValue(p), { freq: 4 }))),
        fc.option(
          fc.tuple(
            oddString.filter((k) => k.length < 50),
            oddString,
          ),
          { freq: 5 },
        ),
      )
      .map(([file, values, extra]) => {
        const names = props.filter((p) => p !== 'file');
        const fields: [string, string | { filename: string; content: string; type: string }][] = [];
        if (file !== null) fields.push(['file', file]);
        names.forEach((n, i) => values[i] !== null && fields.push([n, values[i]!]));
        if (extra) fields.push(extra);
        return { kind: 'multipart' as const, fields };
      });
  }

  return fc.record({ path: pathArb, query: queryArb, headers: headersArb, body: bodyArb }).map((r) => ({
    operation: op.operationId ?? `${method} ${path}`,
    method: method.toUpperCase(),
    path: r.path,
    query: r.query,
    headers: r.headers,
    ...(r.body ? { body: r.body } : {}),
  }));
}

/** Requests over every operation of the document, each operation equally likely. */
export function requestsFor(
  doc: OpenApiDoc,
  auth: { key: string; otherKey: string },
  known: KnownIds = {},
): fc.Arbitrary<FuzzRequest> {
  const arbs = new SchemaArbitraries(doc);
  const ops: fc.Arbitrary<FuzzRequest>[] = [];
  for (const [path, methods] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(methods))
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method))
        ops.push(operationRequests(arbs, method, path, op, auth, known));
  return fc.oneof(...ops);
}

function encodeQuery(pairs: [string, string][]): string {
  if (!pairs.length) return '';
  return '?' + pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
}

export function toFetch(baseUrl: string, r: FuzzRequest): { url: string; init: RequestInit } {
  const headers = new Headers();
  for (const [k, v] of Object.entries(r.headers)) headers.set(k, v);
  let body: BodyInit | undefined;
  if (r.body?.kind === 'json') {
    headers.set('content-type', 'application/json');
    body = r.body.text;
  } else if (r.body?.kind === 'raw') {
    if (r.body.contentType) headers.set('content-type', r.body.contentType);
    body = r.body.text;
  } else if (r.body?.kind === 'multipart') {
    const form = new FormData();
    for (const [name, value] of r.body.fields) {
      if (typeof value === 'string') form.append(name, value);
      else form.append(name, new File([value.content], value.filename, { type: value.type }));
    }
    body = form;
  }
  const origin = baseUrl.replace(/\/v1\/?$/, '');
  return { url: origin + r.path + encodeQuery(r.query), init: { method: r.method, headers, body } };
}

/** What is wrong with a response (undefined: nothing). */
export async function judge(res: Response): Promise<{ problem?: string; body: string }> {
  const body = await res.text();
  if (res.status >= 500) return { problem: `${res.status} server error`, body };
  if (!res.headers.get('x-request-id')) return { problem: 'no x-request-id header', body };
  if (res.status >= 400) {
    let parsed: any;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { problem: `${res.status} without a JSON body`, body };
    }
    const e = parsed?.error;
    const ok =
      e &&
      typeof e.message === 'string' &&
      e.message.length > 0 &&
      typeof e.type === 'string' &&
      (e.param === null || typeof e.param === 'string') &&
      (e.code === null || typeof e.code === 'string');
    if (!ok) return { problem: `${res.status} outside the error envelope`, body };
  }
  return { body };
}

export async function send(baseUrl: string, r: FuzzRequest): Promise<Finding | { status: number }> {
  const { url, init } = toFetch(baseUrl, r);
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    return { request: r, status: 0, problem: `no response: ${(err as Error).message}`, body: '' };
  }
  const verdict = await judge(res);
  return verdict.problem
    ? { request: r, status: res.status, problem: verdict.problem, body: verdict.body.slice(0, 500) }
    : { status: res.status };
}

/** A request as one line (long values cut), for reports. */
export function describeRequest(r: FuzzRequest): string {
  const cut = (v: string) =>
    v.length > 80 ? `${JSON.stringify(v.slice(0, 80))}…(${v.length})` : JSON.stringify(v);
  const body =
    r.body?.kind === 'multipart'
      ? ` multipart ${r.body.fields.map(([k, v]) => `${cut(k)}=${typeof v === 'string' ? cut(v) : `file(${cut(v.filename)}, ${v.content.length} B)`}`).join(' ')}`
      : r.body
        ? ` ${r.body.kind} ${cut(r.body.text)}`
        : '';
  const path = r.path.length > 120 ? `${r.path.slice(0, 120)}…` : r.path;
  return `${r.method} ${path}${r.query.length ? ` query ${r.query.map(([k, v]) => `${cut(k)}=${cut(v)}`).join('&')}` : ''}${body}`;
}
