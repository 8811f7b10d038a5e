/**
 * A Lambda Function URL handler in response-streaming mode (InvokeMode RESPONSE_STREAM) for a
 * fetch-style app (Hono's `app.fetch`): the payload-2.0 event becomes a Request, the Response's
 * status and headers go out first (`awslambda.HttpResponseStream.from`), then its body as it is
 * produced, so server-sent events reach the client token by token.
 *
 * Why not `hono/aws-lambda`'s `streamHandle`: its Request carries no AbortSignal and it never
 * cancels the body when the response stream closes early, so a client that went away would leave
 * the generation decoding into a stalled pipe until the function timed out. Here the Request's
 * signal aborts when the response stream closes or fails before the body ended, and the body is
 * cancelled, which is what stops a generation (functions/api/routes/inference.ts).
 */
import type { Writable } from 'node:stream';
import type { Context } from 'aws-lambda';

/** The parts of a Function URL event (payload format 2.0) a request is made of. */
export interface FunctionUrlEvent {
  rawPath: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { domainName?: string; http: { method: string } };
}

type Fetch = (request: Request, context: Context) => Response | Promise<Response>;
type StreamingHandler = (event: FunctionUrlEvent, stream: Writable, context: Context) => Promise<void>;

export function requestOf(event: FunctionUrlEvent, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {}))
    if (value !== undefined) headers.set(name, value);
  if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '));
  const host = event.requestContext.domainName ?? headers.get('host') ?? 'localhost';
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  const method = event.requestContext.http.method;
  const body =
    event.body !== undefined && method !== 'GET' && method !== 'HEAD'
      ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8')
      : undefined;
  return new Request(`https://${host}${event.rawPath}${query}`, { method, headers, body, signal });
}

export function streamingHandler(fetch: Fetch): StreamingHandler {
  const handler: StreamingHandler = async (event, responseStream, context) => {
    const abort = new AbortController();
    let finished = false;
    const gone = () => {
      if (!finished) abort.abort();
    };
    responseStream.once('close', gone);
    responseStream.once('error', gone);
    let out: Writable = responseStream;
    try {
      const response = await fetch(requestOf(event, abort.signal), context);
      const headers: Record<string, string> = {};
      const cookies: string[] = [];
      response.headers.forEach((value, name) => {
        if (name === 'set-cookie') cookies.push(value);
        else headers[name] = value;
      });
      out = awslambda.HttpResponseStream.from(responseStream, {
        statusCode: response.status,
        headers,
        cookies,
      });
      if (!response.body) {
        // The runtime sends the status line only once something was written.
        out.write('');
        return;
      }
      const reader = response.body.getReader();
      abort.signal.addEventListener('abort', () => void reader.cancel().catch(() => undefined), {
        once: true,
      });
      for (;;) {
        const { done, value } = await reader.read();
        if (done || abort.signal.aborted) break;
        if (!out.write(value)) await drained(out, abort.signal);
      }
    } finally {
      finished = true;
      if (!out.writableEnded && !out.destroyed) out.end();
    }
  };
  return awslambda.streamifyResponse(handler as never) as unknown as StreamingHandler;
}

/** Waits for the stream to take more, or for the client to be gone. */
function drained(stream: Writable, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    stream.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
