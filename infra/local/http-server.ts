/**
 * The API's HTTP server on the embedded stack (and in the tests that go over the wire):
 * @hono/node-server's request listener on a node:http server, with one fix to how a connection
 * ends.
 *
 * An answer given before the request body has arrived (a 413 decided on Content-Length, a 401
 * before an upload) leaves the rest of the body in flight. @hono/node-server then reads and
 * discards it for at most 500 ms and destroys the socket, while the response had promised
 * `Connection: keep-alive`: the client's next request on that socket failed. Such responses now
 * say `Connection: close`, so the client opens a new connection and the socket closing is no
 * surprise; a request whose body arrived in full keeps its connection. Closing outright still lost
 * the answer for a client that was busy writing: its next write met a reset and its socket was torn
 * down before it read the 413. Such a socket now lingers, as nginx's lingering close does: the
 * server sends its answer and FIN, then reads and drops the rest of the body (up to 5 s or 64 MiB)
 * before it closes.
 *
 * A request Node's HTTP parser refuses (a request line or headers past its 16 KB limit, a
 * malformed header) never reaches the app; Node answered it with a bare status line. It now gets
 * the API's error envelope and an x-request-id like any other 4xx (the fuzzer found this).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { newRequestId } from '../../functions/api/middleware/request-log';

export interface ServeOptions {
  port: number;
  hostname: string;
}

const LINGER_MS = 5_000;
const LINGER_BYTES = 64 * 1024 * 1024;

/**
 * Makes the socket's close (Node's own after a `Connection: close` answer, and @hono/node-server's
 * after its short drain both call destroySoon) a lingering one: FIN after the answer, then the
 * client's remaining bytes are read and dropped until it ends, LINGER_MS pass or LINGER_BYTES arrive.
 */
function lingerOnClose(socket: Socket): void {
  let lingering = false;
  socket.destroySoon = function (this: Socket) {
    if (lingering) return;
    lingering = true;
    this.end();
    let dropped = 0;
    const close = () => {
      clearTimeout(timer);
      this.destroy();
    };
    const timer = setTimeout(close, LINGER_MS);
    timer.unref();
    this.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > LINGER_BYTES) close();
    });
    this.once('end', close);
    this.resume();
  };
}

/** Adds `Connection: close` to a response written while its request's body is still arriving. */
function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    if (!req.complete) {
      this.setHeader('connection', 'close');
      lingerOnClose(req.socket);
    }
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
}

/** The answer to a request the parser refused, in the envelope, and the connection closed. */
function refuseUnparsable(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || (err as { code?: string }).code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const [status, reason, code, message] = tooLarge
    ? [
        431,
        'Request Header Fields Too Large',
        'request_too_large',
        'The request line and headers exceed 16 KB.',
      ]
    : [400, 'Bad Request', 'malformed_request', 'The request is not valid HTTP/1.1.'];
  const body = JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      'content-type: application/json\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${newRequestId()}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
}

/** Listens and resolves once the server accepts connections. */
export function serveApi(
  fetch: (request: Request) => Response | Promise<Response>,
  opts: ServeOptions,
): Promise<{ server: Server; port: number }> {
  const listener = getRequestListener(fetch, { hostname: opts.hostname });
  const server = createServer((req, res) => {
    closeIfBodyUnread(req, res);
    return listener(req, res);
  });
  server.on('clientError', refuseUnparsable);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.hostname, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
}
