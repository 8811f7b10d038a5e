/**
 * Idempotency-Key on POSTs (docs/ARCHITECTURE.md, "The contract"), per tenant:
 *  - first use: the request runs and its response (status < 500) is stored for `ttlSeconds`;
 *  - same key, same request: the stored response is replayed with `Idempotent-Replayed: true`;
 *  - same key, different request (method, path or body): 422;
 *  - same key while the first request still runs: 409.
 * A streamed response (Server-Sent Events: a chat completion with `stream: true`) goes to the
 * client as it is produced and is stored when it ends; one the client leaves early, or longer than
 * MAX_STORED_STREAM, releases the key instead (a retry generates again).
 * A 5xx releases the key, so the client may retry the same request with it. A request whose
 * process died (Lambda timeout, crash) cannot release it: its claim is a short lease, far longer
 * than any request may run, and only a completed response is kept for `ttlSeconds`.
 * Bodies are compared by meaning, not bytes: JSON in a canonical form (keys sorted, no
 * whitespace), so a client that re-serializes the same object matches; multipart by its fields
 * (name, filename, bytes), because a client re-encoding the same form picks a new boundary.
 */
import { createHash } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import { ConflictError, IdempotencyMismatchError, ValidationError } from '../../errors';
import type { Clock } from '../../ports/clock';
import type { IdempotencyStore } from '../../ports/store';
import type { ApiEnv } from '../env';

/** What a replay of a request whose response held a one-time secret answers (that response is not kept). */
const NOT_STORED = {
  error: {
    message:
      'The first response to this Idempotency-Key carried a one-time secret and was not kept. The request was carried out: list or retrieve the resource instead (rotate its secret if it was lost).',
    type: 'idempotency_error',
    param: 'Idempotency-Key',
    code: 'idempotent_response_not_stored',
  },
};

const HEADER = 'idempotency-key';
const REPLAYED = 'Idempotent-Replayed';
/** The longest streamed response kept for replays (a DynamoDB item holds 400 KB). */
const MAX_STORED_STREAM = 256 * 1024;
/** How long an unfinished claim holds the key (the API Lambda times out after 29 s). */
const IN_PROGRESS_LEASE_SECONDS = 5 * 60;

/** JSON with object keys sorted and no whitespace: equal for equal values, whatever the spelling. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

async function fingerprint(
  method: string,
  path: string,
  contentType: string,
  body: ArrayBuffer,
): Promise<string> {
  const h = createHash('sha256').update(`${method} ${path}\n`);
  if (contentType.toLowerCase().startsWith('multipart/form-data')) {
    let form: FormData | undefined;
    try {
      form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    } catch {
      form = undefined; // malformed forms are rejected later; fingerprint the bytes
    }
    if (form) {
      const entries = [...form.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [name, value] of entries) {
        h.update(`${name}\u0000`);
        if (typeof value === 'string') h.update(`s:${value}\u0000`);
        else
          h.update(`f:${value.name}\u0000`)
            .update(new Uint8Array(await value.arrayBuffer()))
            .update('\u0000');
      }
      return h.digest('hex');
    }
  }
  if (/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
    try {
      return h.update(`json:${canonicalJson(JSON.parse(new TextDecoder().decode(body)))}`).digest('hex');
    } catch {
      // Not JSON after all: the route refuses it; fingerprint the bytes.
    }
  }
  return h.update(new Uint8Array(body)).digest('hex');
}

export function idempotency(store: IdempotencyStore, clock: Clock, ttlSeconds: number) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    const key = c.req.header(HEADER);
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (key.length < 1 || key.length > 255) {
      throw new ValidationError('Idempotency-Key must be 1 to 255 characters.', 'Idempotency-Key');
    }
    const tenantId = c.get('tenantId');
    const body = await c.req.arrayBuffer(); // cached by Hono: the route's validators read the same bytes
    const requestHash = await fingerprint(c.req.method, c.req.path, c.req.header('content-type') ?? '', body);
    const now = Math.floor(clock.nowMs() / 1000);
    const existing = await store.claim({
      tenantId,
      key,
      requestHash,
      status: 'in_progress',
      createdAt: now,
      expiresAt: now + Math.min(IN_PROGRESS_LEASE_SECONDS, ttlSeconds),
    });
    if (existing) {
      if (existing.requestHash !== requestHash) throw new IdempotencyMismatchError();
      if (existing.status !== 'completed' || !existing.response) {
        throw new ConflictError(
          'A request with this Idempotency-Key is still being processed. Retry later.',
          'idempotency_in_progress',
        );
      }
      const { status, body: stored, headers } = existing.response;
      return new Response(stored, { status, headers: { ...headers, [REPLAYED]: 'true' } });
    }

    try {
      await next();
    } catch (err) {
      await store.release(tenantId, key);
      throw err;
    }
    const res = c.res;
    if (res.status >= 500) {
      await store.release(tenantId, key);
      return;
    }
    const expiresAt = Math.floor(clock.nowMs() / 1000) + ttlSeconds;
    // A response marked no-store carries a one-time secret (a webhook endpoint's signing secret):
    // it is not written to the table. The key still guards against a second creation; a replay
    // answers 409 saying where to look instead.
    if (/\bno-store\b/i.test(res.headers.get('cache-control') ?? '')) {
      await store.complete(
        tenantId,
        key,
        { status: 409, body: JSON.stringify(NOT_STORED), headers: { 'content-type': 'application/json' } },
        expiresAt,
      );
      return;
    }
    const headers: Record<string, string> = {};
    const ct = res.headers.get('content-type');
    if (ct) headers['content-type'] = ct;
    if (res.body && /^text\/event-stream\b/i.test(ct ?? '')) {
      // Reading the stream here would hold back every event until the last one.
      c.res = new Response(
        recordedStream(res.body, MAX_STORED_STREAM, c.req.raw.signal, async (text) => {
          try {
            if (text === undefined) await store.release(tenantId, key);
            else
              await store.complete(
                tenantId,
                key,
                { status: res.status, body: text, headers },
                Math.floor(clock.nowMs() / 1000) + ttlSeconds,
              );
          } catch {
            // The client has its answer; an unrecorded key lapses with its lease.
          }
        }),
        { status: res.status, headers: res.headers },
      );
      return;
    }
    const text = await res.clone().text();
    await store.complete(tenantId, key, { status: res.status, body: text, headers }, expiresAt);
  });
}

/**
 * `body`, passed on chunk by chunk while its text is kept; `ended` gets the whole text before the
 * stream closes (so a Lambda is not frozen mid-write), or undefined if the text went past `max`,
 * the body failed or the client went away (the stream cancelled, or the request's signal aborted:
 * a generation stopped that way ends its stream early but in good order).
 */
function recordedStream(
  body: ReadableStream<Uint8Array>,
  max: number,
  clientGone: AbortSignal,
  ended: (text: string | undefined) => Promise<void>,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text: string | undefined = '';
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        await ended(undefined);
        controller.error(err);
        return;
      }
      if (chunk.done) {
        await ended(text === undefined || clientGone.aborted ? undefined : text + decoder.decode());
        controller.close();
        return;
      }
      if (text !== undefined) {
        text += decoder.decode(chunk.value, { stream: true });
        if (text.length > max) text = undefined;
      }
      controller.enqueue(chunk.value);
    },
    async cancel(reason) {
      try {
        await reader.cancel(reason);
      } finally {
        await ended(undefined);
      }
    },
  });
}
