/**
 * The CLI talks to the service only through the generated SDK (openapi/sdk), like any client.
 * Failures become `CliError`s carrying the API's own error message and code.
 */
import { TuneplaneError } from '../../openapi/errors';
import { createClient, type Client } from '../../openapi/sdk/client';

/** What the CLI reports and exits 1 on: the API's error (its code and param), or the command line's. */
export class CliError extends TuneplaneError {
  constructor(message: string, code = 'invalid_usage', param: string | null = null) {
    super(message, { code, param });
  }
}

export interface Connection {
  baseUrl: string;
  apiKey: string;
}

export function connect(conn: Connection): Client {
  // The SDK's paths start with /v1; accept a base URL given with or without it.
  const baseUrl = conn.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  return createClient({ baseUrl, headers: { Authorization: `Bearer ${conn.apiKey}` } });
}

/** Unwraps an SDK result: the data, or a CliError with the API's message and the field it names. */
export function unwrap<T>(result: { data?: T; error?: unknown; response?: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    const env = result.error as
      { error?: { message?: string; param?: string | null; code?: string | null } } | undefined;
    const status = result.response ? ` (HTTP ${result.response.status})` : '';
    const param = env?.error?.param ? ` [${env.error.param}]` : '';
    throw new CliError(
      `${env?.error?.message ?? 'Request failed'}${param}${status}`,
      env?.error?.code ?? 'request_failed',
      env?.error?.param ?? null,
    );
  }
  return result.data;
}
