/**
 * The API's branch of the project's one error tree (root: openapi/errors.ts `TuneplaneError`).
 * An ApiError adds what the edge needs to answer: an HTTP status and an OpenAI-style `type`; the
 * stable `code`, the offending `param` and the `cause` come from the root. The domain raises these
 * for the request it is serving; the API's single `onError` (functions/api/errors.ts) renders them as
 * the envelope `{error:{message,type,param,code}}` and maps any other error of the tree by its code.
 */
import { TuneplaneError } from '../openapi/errors';

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'idempotency_error'
  | 'rate_limit_error'
  | 'server_error';

export class ApiError extends TuneplaneError {
  readonly status: number;
  readonly type: ErrorType;

  constructor(
    message: string,
    opts: { status: number; type: ErrorType; code: string; param?: string | null; cause?: unknown },
  ) {
    super(message, { code: opts.code, param: opts.param, cause: opts.cause });
    this.status = opts.status;
    this.type = opts.type;
  }
}

/** 400: the request is malformed or breaks a rule; `param` names the field. */
export class ValidationError extends ApiError {
  constructor(message: string, param: string | null, code = 'invalid_value', cause?: unknown) {
    super(message, { status: 400, type: 'invalid_request_error', code, param, cause });
  }
}

export class AuthenticationError extends ApiError {
  constructor(message = 'Missing or invalid API key. Send it as "Authorization: Bearer <key>".') {
    super(message, { status: 401, type: 'authentication_error', code: 'invalid_api_key' });
  }
}

/** 404, also for other tenants' resources: their existence is not revealed. */
export class NotFoundError extends ApiError {
  constructor(what: string, id: string, param: string | null = null) {
    super(`No ${what} found with id '${id}'.`, {
      status: 404,
      type: 'not_found_error',
      code: 'not_found',
      param,
    });
  }
}

/** 409: a conditional write lost (the record changed underneath), or the action is not allowed in this state. */
export class ConflictError extends ApiError {
  constructor(message: string, code = 'conflict', cause?: unknown) {
    super(message, { status: 409, type: 'conflict_error', code, cause });
  }
}

/** 422: an Idempotency-Key was reused with a different request body. */
export class IdempotencyMismatchError extends ApiError {
  constructor() {
    super('This Idempotency-Key was used with a different request. Use a new key for a new request.', {
      status: 422,
      type: 'idempotency_error',
      code: 'idempotency_key_reused',
      param: 'Idempotency-Key',
    });
  }
}

/** 413: the body is larger than the route accepts. */
export class PayloadTooLargeError extends ApiError {
  constructor(limitBytes: number) {
    super(`Request body exceeds ${limitBytes} bytes. Large files go through /v1/uploads.`, {
      status: 413,
      type: 'invalid_request_error',
      code: 'payload_too_large',
    });
  }
}

/** A dependency (AWS, OpenAI) failed in a way worth retrying later. */
export class UpstreamError extends ApiError {
  readonly retryAfterMs: number | null;
  constructor(message: string, opts: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, { status: 502, type: 'server_error', code: 'upstream_error', cause: opts.cause });
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }
}

/** A provider refused the request itself (bad job definition, invalid parameter): retrying will not help. */
export class ProviderRejectedError extends ApiError {
  constructor(message: string, cause?: unknown) {
    super(message, { status: 400, type: 'invalid_request_error', code: 'provider_rejected', cause });
  }
}
