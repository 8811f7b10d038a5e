import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpSender } from '../../../../../functions/adapters/http/sender';

interface Receiver {
  url: string;
  port: number;
  connections: number;
  requests: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }>;
  close(): Promise<void>;
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (open.length) await open.pop()!();
});

async function receiver(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Receiver> {
  const r: Receiver = { url: '', port: 0, connections: 0, requests: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      r.requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, res);
    });
  });
  server.on('connection', () => r.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.port = (server.address() as AddressInfo).port;
  r.url = `http://127.0.0.1:${r.port}/hook`;
  r.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  open.push(r.close);
  return r;
}

const request = (url: string) => ({
  url,
  headers: { 'content-type': 'application/json', 'webhook-id': 'evt_1' },
  body: '{"a":1}',
});

describe('HTTP webhook sender', () => {
  it('posts the body and headers and reports the status and a snippet of the answer', async () => {
    const r = await receiver((_req, res) => res.writeHead(202).end('accepted, thanks'));
    const sender = createHttpSender({ allowLoopback: true });
    const result = await sender.send(request(r.url));
    expect(result).toMatchObject({ kind: 'response', statusCode: 202, bodySnippet: 'accepted, thanks' });
    expect(r.requests[0]).toMatchObject({ method: 'POST', url: '/hook', body: '{"a":1}' });
    expect(r.requests[0].headers['webhook-id']).toBe('evt_1');
  });

  it('keeps only the first bytes of a large answer', async () => {
    const r = await receiver((_req, res) => res.writeHead(500).end('x'.repeat(100_000)));
    const result = await createHttpSender({ allowLoopback: true, snippetBytes: 64 }).send(request(r.url));
    expect(result).toMatchObject({ kind: 'response', statusCode: 500 });
    if (result.kind === 'response') expect(result.bodySnippet).toHaveLength(64);
  });

  it('does not follow a redirect: the 302 is the answer and the Location is never fetched', async () => {
    const target = await receiver((_req, res) => res.writeHead(200).end('should not be reached'));
    const r = await receiver((_req, res) => res.writeHead(302, { location: target.url }).end());
    const result = await createHttpSender({ allowLoopback: true }).send(request(r.url));
    expect(result).toMatchObject({ kind: 'response', statusCode: 302 });
    expect(target.connections).toBe(0);
  });

  it('makes no connection at all to a loopback target unless loopback is allowed', async () => {
    const r = await receiver((_req, res) => res.writeHead(200).end());
    for (const url of [
      r.url,
      `http://2130706433:${r.port}/`,
      `http://0x7f.1:${r.port}/`,
      `http://0177.0.0.1:${r.port}/`,
      `http://127.1:${r.port}/`,
      `http://[::ffff:127.0.0.1]:${r.port}/`,
    ]) {
      const result = await createHttpSender({ allowLoopback: false }).send(request(url));
      expect(result, url).toMatchObject({ kind: 'error', reason: 'blocked' });
    }
    expect(r.connections).toBe(0);
  });

  it('refuses a name when any of its addresses is private, without connecting', async () => {
    const r = await receiver((_req, res) => res.writeHead(200).end());
    const resolve = async () => [
      { address: '93.184.216.34', family: 4 as const },
      { address: '10.0.0.7', family: 4 as const },
    ];
    const result = await createHttpSender({ allowLoopback: true, resolve }).send(
      request(`http://hooks.example.test:${r.port}/`),
    );
    expect(result).toMatchObject({ kind: 'error', reason: 'blocked' });
    if (result.kind === 'error') expect(result.message).toContain('10.0.0.7');
    expect(r.connections).toBe(0);
  });

  it.each([
    '169.254.169.254',
    '169.254.170.2',
    '::ffff:169.254.169.254',
    '64:ff9b::a9fe:a9fe',
    'fd00:ec2::254',
    '100.100.100.200',
  ])('refuses a name resolving to the metadata-style address %s', async (address) => {
    const resolve = async () => [{ address, family: address.includes(':') ? (6 as const) : (4 as const) }];
    const result = await createHttpSender({ resolve }).send(request('http://metadata.example.test/latest'));
    expect(result).toMatchObject({ kind: 'error', reason: 'blocked' });
  });

  it('connects to the address it checked and keeps the original name in the Host header', async () => {
    const r = await receiver((_req, res) => res.writeHead(204).end());
    let lookups = 0;
    const resolve = async () => {
      lookups++;
      return [{ address: '127.0.0.1', family: 4 as const }];
    };
    const result = await createHttpSender({ allowLoopback: true, resolve }).send(
      request(`http://hooks.example.test:${r.port}/in`),
    );
    expect(result).toMatchObject({ kind: 'response', statusCode: 204 });
    expect(lookups).toBe(1);
    expect(r.requests[0].headers.host).toBe(`hooks.example.test:${r.port}`);
  });

  it('gives up at the deadline when the receiver never answers', async () => {
    const r = await receiver(() => {
      /* never answers */
    });
    const result = await createHttpSender({ allowLoopback: true, timeoutMs: 200 }).send(request(r.url));
    expect(result).toMatchObject({ kind: 'error', reason: 'timeout' });
    if (result.kind === 'error') expect(result.durationMs).toBeGreaterThanOrEqual(150);
  });

  it('reports a refused connection as a network error', async () => {
    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const result = await createHttpSender({ allowLoopback: true }).send(request(`http://127.0.0.1:${port}/`));
    expect(result).toMatchObject({ kind: 'error', reason: 'network' });
  });

  it('reports a name that does not resolve as a network error', async () => {
    const resolve = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.example.test'), { code: 'ENOTFOUND' });
    };
    const result = await createHttpSender({ resolve }).send(request('https://nowhere.example.test/'));
    expect(result).toMatchObject({ kind: 'error', reason: 'network' });
    if (result.kind === 'error') expect(result.message).toContain('ENOTFOUND');
  });

  it('refuses schemes other than http and https', async () => {
    const result = await createHttpSender().send(request('file:///etc/passwd'));
    expect(result).toMatchObject({ kind: 'error', reason: 'invalid_url' });
  });

  describe('over TLS (self-signed test certificate for hooks.example.test, in ./tls)', () => {
    const cert = readFileSync(new URL('./tls/cert.pem', import.meta.url));
    const key = readFileSync(new URL('./tls/key.pem', import.meta.url));

    async function tlsReceiver() {
      const seen: Array<{ servername: string | false | null; host?: string }> = [];
      const server = createHttpsServer({ cert, key }, (req, res) => {
        seen.push({ servername: (req.socket as TLSSocket).servername, host: req.headers.host });
        req.resume();
        res.writeHead(200).end('tls ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      open.push(
        () =>
          new Promise((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      );
      return { port: (server.address() as AddressInfo).port, seen };
    }
    const resolve = async () => [{ address: '127.0.0.1', family: 4 as const }];

    it('connects to the checked address with SNI and Host set to the original name, and verifies the certificate', async () => {
      const r = await tlsReceiver();
      const result = await createHttpSender({ allowLoopback: true, resolve, ca: cert }).send(
        request(`https://hooks.example.test:${r.port}/in`),
      );
      expect(result).toMatchObject({ kind: 'response', statusCode: 200, bodySnippet: 'tls ok' });
      expect(r.seen[0]).toEqual({ servername: 'hooks.example.test', host: `hooks.example.test:${r.port}` });
    });

    it('refuses a certificate it cannot verify', async () => {
      const r = await tlsReceiver();
      const result = await createHttpSender({ allowLoopback: true, resolve }).send(
        request(`https://hooks.example.test:${r.port}/in`),
      );
      expect(result).toMatchObject({ kind: 'error', reason: 'network' });
      expect(r.seen).toHaveLength(0);
    });
  });
});
