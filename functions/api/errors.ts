/**
 * The one place errors become responses (docs/ARCHITECTURE.md, "Errors"): the API's own errors
 * (ApiError) render as the envelope with their status; any other error of the tree (the trainer's,
 * the environment's) gets its status from EDGE_STATUS by its stable code; Hono's own HTTPExceptions
 * (malformed JSON, unsupported media type) likewise; validation failures name the field path and
 * the rule; anything else is a logged 500 without internals.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { TuneplaneError } from '../../openapi/errors';
import { UNSUPPORTED_PREFIX } from '../../openapi/schemas/generation';
import { ApiError, ValidationError, type ErrorType } from '../errors';
import type { AppLogger } from './deps';

export function envelope(
  c: Context,
  status: number,
  e: { message: string; type: string; param: string | null; code: string | null },
) {
  return c.json({ error: e }, status as ContentfulStatusCode);
}

const HTTP_CODES: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'invalid_request'],
  404: ['not_found_error', 'not_found'],
  405: ['invalid_request_error', 'method_not_allowed'],
  413: ['invalid_request_error', 'payload_too_large'],
  415: ['invalid_request_error', 'unsupported_media_type'],
};

/**
 * Errors of the tree that are not the API's own, should one reach a request (the trainer's when the
 * API loads a model, say), by code: each is about the input it was given, so a 400 that shows its
 * message and param. A code not listed here is a 500 that shows nothing of it.
 */
export const EDGE_STATUS: Readonly<Record<string, { status: 400; type: ErrorType }>> = {
  invalid_training_file: { status: 400, type: 'invalid_request_error' },
  invalid_value: { status: 400, type: 'invalid_request_error' },
  invalid_model_folder: { status: 400, type: 'invalid_request_error' },
  invalid_model_config: { status: 400, type: 'invalid_request_error' },
  invalid_model_weights: { status: 400, type: 'invalid_request_error' },
  invalid_safetensors: { status: 400, type: 'invalid_request_error' },
  invalid_tokenizer: { status: 400, type: 'invalid_request_error' },
  line_too_long: { status: 400, type: 'invalid_request_error' },
};

const INTERNAL = {
  message: 'The server had an error while processing your request.',
  type: 'server_error',
  param: null,
  code: 'internal_error',
} as const;

/** The request's id (middleware/request-log.ts) on every error line, to find it from a client's report. */
const requestIdOf = (c: Context): string | null => (c.var as { requestId?: string }).requestId ?? null;

export function errorHandler(logger: AppLogger) {
  return (err: Error, c: Context) => {
    if (err instanceof ApiError) {
      if (err.status >= 500)
        logger.error('request failed upstream', {
          request_id: requestIdOf(c),
          path: c.req.path,
          code: err.code,
          cause: String(err.cause ?? err.message),
        });
      return envelope(c, err.status, {
        message: err.message,
        type: err.type,
        param: err.param,
        code: err.code,
      });
    }
    if (err instanceof TuneplaneError) {
      const mapped = Object.hasOwn(EDGE_STATUS, err.code) ? EDGE_STATUS[err.code] : undefined;
      if (mapped)
        return envelope(c, mapped.status, {
          message: err.message,
          type: mapped.type,
          param: err.param,
          code: err.code,
        });
      logger.error('unmapped error', {
        request_id: requestIdOf(c),
        path: c.req.path,
        code: err.code,
        error: err.stack ?? String(err),
      });
      return envelope(c, 500, INTERNAL);
    }
    if (err instanceof HTTPException && err.status < 500) {
      const [type, code] = HTTP_CODES[err.status] ?? ['invalid_request_error', 'invalid_request'];
      let message = err.message || 'Bad request';
      if (/Malformed JSON/.test(message)) message = 'The request body is not valid JSON.';
      if (err.status === 415)
        message = `Unsupported Content-Type '${c.req.header('content-type') ?? ''}' for ${c.req.method} ${c.req.path}.`;
      return envelope(c, err.status, {
        message,
        type,
        param: null,
        code: /JSON/.test(message) ? 'invalid_json' : code,
      });
    }
    logger.error('unhandled error', {
      request_id: requestIdOf(c),
      path: c.req.path,
      method: c.req.method,
      error: err.stack ?? String(err),
    });
    return envelope(c, 500, INTERNAL);
  };
}

type Issue = ZodError['issues'][number];

/** Joins a zod path into `a.b[0].c` (OpenAI's param style). */
export function pathToParam(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

const ARTICLE: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/** What one union branch wanted, in words: `"auto"`, `an integer`, … */
function describeExpectation(i: Issue): string {
  if (i.code === 'invalid_value')
    return (i as Issue & { values: unknown[] }).values.map((v) => JSON.stringify(v)).join(' or ');
  if (i.code === 'invalid_type') {
    const expected = String((i as Issue & { expected: string }).expected);
    return ARTICLE[expected] ?? expected;
  }
  return i.message;
}

/** The most telling issue of a union failure: a range/format rule beats "wrong type" from the other branches. */
function pickIssue(issue: Issue): { issue: Issue; alternatives?: string[] } {
  if (issue.code !== 'invalid_union') return { issue };
  const branches = (issue as Issue & { errors: Issue[][] }).errors ?? [];
  const flat = branches.flat();
  const specific = flat.find(
    (i) => i.code !== 'invalid_type' && i.code !== 'invalid_value' && i.code !== 'invalid_union',
  );
  if (specific) return pickIssue({ ...specific, path: [...issue.path, ...specific.path] } as Issue);
  const alternatives = branches.map((b) => b.map(describeExpectation).join(' and '));
  return { issue, alternatives };
}

/** A zod failure as a 400 naming the field path and the rule. */
export function validationErrorFrom(error: ZodError, prefix: readonly PropertyKey[] = []): ValidationError {
  const first = error.issues[0];
  if (!first) return new ValidationError('Invalid request.', null);
  const { issue, alternatives } = pickIssue(first);
  let path: PropertyKey[] = [...prefix, ...issue.path];
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as Issue & { keys: string[] }).keys;
    path = [...path, keys[0]];
    message = `unknown field (not part of this request: ${keys.join(', ')})`;
  } else if (alternatives) {
    message = `must be ${[...new Set(alternatives)].join(' or ')}`;
  }
  const param = pathToParam(path) || null;
  const more =
    error.issues.length > 1
      ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})`
      : '';
  return new ValidationError(
    `${param ?? 'request'}: ${message}${more}`,
    param,
    issue.code === 'unrecognized_keys'
      ? 'unknown_parameter'
      : message.startsWith(UNSUPPORTED_PREFIX)
        ? 'unsupported_parameter'
        : 'invalid_value',
  );
}
