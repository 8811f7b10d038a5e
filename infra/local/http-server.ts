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
 * surprise; a request whose body arrived in full keeps its connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';

export interface ServeOptions {
  port: number;
  hostname: string;
}

/** Adds `Connection: close` to a response written while its request's body is still arriving. */
function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    if (!req.complete) this.setHeader('connection', 'close');
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
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
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.hostname, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
}
