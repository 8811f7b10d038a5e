/**
 * The API client: our generated SDK (openapi/sdk), same origin (the dashboard is served beside
 * /v1 locally and behind the same CloudFront distribution on AWS). The key the user pastes lives in
 * sessionStorage only: it is gone when the tab closes and never written anywhere else.
 */
import { createClient, type Client } from '../../../openapi/sdk/client';

const KEY = 'tuneplane.apiKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveKey(key: string): void {
  sessionStorage.setItem(KEY, key.trim());
  current = undefined;
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
  current = undefined;
}

let current: Client | undefined;

export function api(): Client {
  const key = storedKey();
  if (!key) throw new ApiError('No API key: paste one first.', 401);
  current ??= createClient({ baseUrl: location.origin, headers: { Authorization: `Bearer ${key}` } });
  return current;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

interface Envelope {
  error?: { message?: string; param?: string | null; code?: string | null };
}

/** An SDK result's data, or an ApiError carrying the API's message and the field it names. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response?: Response }>,
): Promise<T> {
  let r: { data?: T; error?: unknown; response?: Response };
  try {
    r = await call;
  } catch (err) {
    throw new ApiError(`The API could not be reached (${(err as Error).message}).`, 0);
  }
  if (r.error !== undefined || r.data === undefined) {
    const e = (r.error as Envelope | undefined)?.error;
    const status = r.response?.status ?? 0;
    if (status === 401) forgetKeyOnRejection();
    const param = e?.param ? ` [${e.param}]` : '';
    throw new ApiError(
      `${e?.message ?? `Request failed (HTTP ${status})`}${param}`,
      status,
      e?.param ?? null,
      e?.code ?? null,
    );
  }
  return r.data;
}

/** A key the API refuses is dropped so the key prompt shows again. */
function forgetKeyOnRejection(): void {
  forgetKey();
  window.dispatchEvent(new CustomEvent('tuneplane:unauthorized'));
}
