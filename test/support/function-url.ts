/**
 * A Lambda Function URL in response-streaming mode, on loopback, for a handler running in this
 * process: what the Lambda service and its Node.js runtime do around a `streamifyResponse`
 * handler, which cannot run here. The handler may also be a function running in a process of its
 * own behind the Runtime API stand-in (test/support/runtime-api.ts: `invoke`), as the container
 * image runs it.
 *
 *  - `installStreamingRuntime()` defines the `awslambda` global the runtime provides
 *    (`streamifyResponse`, `HttpResponseStream.from`), before the handler module is imported;
 *  - `startFunctionUrl(handler)` serves HTTP: each request becomes a payload-2.0 Function URL event
 *    (body base64-encoded), the handler writes to a response stream whose first bytes are the
 *    runtime's metadata prelude (JSON, then eight NUL bytes), which becomes the HTTP status and
 *    headers; the rest is sent as it is written. When the client goes away mid-response the
 *    stream is destroyed, as the service closes it.
 *
 * Each invocation is recorded (path, when it ended, bytes the handler wrote after the client had
 * gone), so tests can tell a generation that stopped from one that ran on into a closed stream.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';

const DELIMITER = Buffer.alloc(8);

export function installStreamingRuntime(): void {
  // Other libraries may have put their own parts on the global (Powertools reads an InvokeStore).
  const g = globalThis as { awslambda?: Record<string, unknown> };
  g.awslambda ??= {};
  g.awslambda.streamifyResponse ??= <T>(handler: T) => handler;
  g.awslambda.HttpResponseStream ??= {
    from(stream: Writable, metadata: Record<string, unknown>): Writable {
      stream.write(JSON.stringify(metadata));
      stream.write(DELIMITER);
      return stream;
    },
  };
}

export type StreamingHandler = (event: object, stream: Writable, context: object) => Promise<void>;

export interface Invocation {
  path: string;
  ended?: number;
  /** The client disconnected before the function ended its response. */
  clientGone: boolean;
  /** Bytes the function wrote after the client had gone. */
  bytesAfterGone: number;
  error?: unknown;
}

export interface FunctionUrl {
  url: string;
  invocations: Invocation[];
  /** Resolves when every invocation started so far has ended. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

function eventOf(req: IncomingMessage, body: Buffer, host: string) {
  const url = new URL(req.url ?? '/', `http://${host}`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies: req.headers.cookie ? req.headers.cookie.split('; ') : undefined,
    headers,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'function-url-id',
      domainName: host,
      domainPrefix: host.split('.')[0],
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length ? body.toString('base64') : undefined,
    isBase64Encoded: body.length > 0,
  };
}

export interface FunctionUrlOptions {
  /** The function's timeout: what the context's getRemainingTimeInMillis counts down from. */
  timeoutMs?: number;
}

export async function startFunctionUrl(
  handler: StreamingHandler,
  opts: FunctionUrlOptions = {},
): Promise<FunctionUrl> {
  const invocations: Invocation[] = [];
  const running = new Set<Promise<void>>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const host = req.headers.host ?? 'localhost';
      const inv: Invocation = { path: req.url ?? '', clientGone: false, bytesAfterGone: 0 };
      invocations.push(inv);
      let prelude: Buffer | undefined = Buffer.alloc(0);
      const stream = new Writable({
        write(chunk: Buffer, _enc, done) {
          if (prelude) {
            prelude = Buffer.concat([prelude, chunk]);
            const at = prelude.indexOf(DELIMITER);
            if (at < 0) return done();
            const meta = JSON.parse(prelude.subarray(0, at).toString('utf8')) as {
              statusCode?: number;
              headers?: Record<string, string>;
              cookies?: string[];
            };
            const rest = prelude.subarray(at + DELIMITER.length);
            prelude = undefined;
            res.writeHead(meta.statusCode ?? 200, {
              ...meta.headers,
              ...(meta.cookies?.length ? { 'set-cookie': meta.cookies } : {}),
            });
            res.flushHeaders();
            if (rest.length) res.write(rest);
            return done();
          }
          res.write(chunk, () => done());
        },
        final(done) {
          if (prelude) res.writeHead(200); // nothing but a body was ever written
          res.end();
          done();
        },
      });
      // A destroyed stream refuses writes without seeing them: count them on the way in.
      const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        if (inv.clientGone) inv.bytesAfterGone += Buffer.byteLength(chunk);
        return write(chunk, ...rest);
      }) as typeof stream.write;
      stream.on('error', () => undefined);
      res.on('close', () => {
        if (!res.writableFinished && !inv.ended) {
          inv.clientGone = true;
          stream.destroy();
        }
      });
      const invoked = Date.now();
      const context = {
        awsRequestId: randomUUID(),
        functionName: 'inference',
        getRemainingTimeInMillis: () => Math.max(0, invoked + (opts.timeoutMs ?? 600_000) - Date.now()),
      };
      const run = handler(eventOf(req, Buffer.concat(chunks), host), stream, context)
        .catch((err: unknown) => {
          inv.error = err;
          if (!res.headersSent) res.writeHead(502).end('function error');
          else res.destroy();
        })
        .finally(() => {
          inv.ended = Date.now();
          running.delete(run);
        });
      running.add(run);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    invocations,
    idle: async () => {
      while (running.size) await Promise.all([...running]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
