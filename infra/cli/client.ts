/**
 * The CLI talks to the service only through the generated SDK (openapi/sdk), like any client.
 * Failures become `CliError`s carrying the API's own error message.
 */
import { createClient, type Client } from '../../openapi/sdk/client';

export class CliError extends Error {}

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
    const env = result.error as { error?: { message?: string; param?: string | null } } | undefined;
    const status = result.response ? ` (HTTP ${result.response.status})` : '';
    const param = env?.error?.param ? ` [${env.error.param}]` : '';
    throw new CliError(`${env?.error?.message ?? 'Request failed'}${param}${status}`);
  }
  return result.data;
}
