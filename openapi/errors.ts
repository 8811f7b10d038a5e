/**
 * The root of the project's one error tree. Every error raised on purpose — by the API, the domain,
 * the adapters, the trainer — is a TuneplaneError with a stable `code` (what API users see in
 * `error.code` and what a failed job shows in `error.code`), the offending `param` when a field is
 * to blame, and the `cause` it wraps.
 *
 * It lives in the contract because the codes are part of it and because every layer already imports
 * the contract. It knows nothing of HTTP: the API's errors (functions/errors.ts `ApiError`) add a
 * status and an OpenAI error type, the trainer's (runner/errors.ts) say what broke (data, config,
 * model), and each edge maps them — the API's `onError` to a response, the job runner to the job's
 * `error`.
 */
export class TuneplaneError extends Error {
  readonly code: string;
  readonly param: string | null;

  constructor(message: string, opts: { code: string; param?: string | null; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code;
    this.param = opts.param ?? null;
  }
}
