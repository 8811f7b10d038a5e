/**
 * The API over real HTTP on loopback, served by the embedded stack's own server (infra/local):
 * what only shows on the wire — header encoding, connection reuse after an early answer.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatJsonl } from './data';
import { startApi, type ApiHarness } from './support';

let api: ApiHarness;
let server: { baseUrl: string; close(): Promise<void> };
beforeAll(async () => {
  api = await startApi();
  server = await api.listen();
});
afterAll(async () => {
  await server.close();
  await api.stop();
});

async function uploadOverHttp(content: string, filename: string) {
  const form = new FormData();
  form.append('purpose', 'fine-tune');
  form.append('file', new File([content], filename, { type: 'application/jsonl' }));
  return fetch(`${server.baseUrl}/v1/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.keyA}` },
    body: form,
  });
}

/** The filename a client reads from Content-Disposition: RFC 6266's filename* (UTF-8) when present. */
function downloadName(header: string): string {
  const ext = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (ext) return decodeURIComponent(ext[1]);
  return /filename="([^"]*)"/.exec(header)![1];
}

describe('downloads keep the name as uploaded', () => {
  for (const filename of [
    'ü.jsonl',
    '日本語.jsonl',
    '😀.jsonl',
    'nul\u0000byte.jsonl',
    'quote"back\\slash.jsonl',
  ]) {
    it(`serves ${JSON.stringify(filename)}`, async () => {
      const content = chatJsonl(10);
      const up = await uploadOverHttp(content, filename);
      expect(up.status).toBe(200);
      const file = (await up.json()) as { id: string; filename: string };
      expect(file.filename).toBe(filename);

      const res = await fetch(`${server.baseUrl}/v1/files/${file.id}/content`, {
        headers: { authorization: `Bearer ${api.keyA}` },
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(content);
      const disposition = res.headers.get('content-disposition')!;
      // Header bytes are ASCII: nothing for a client to decode as Latin-1 and garble.
      expect(disposition).toMatch(/^[\x20-\x7e]+$/);
      expect(disposition).toMatch(/^attachment;/);
      expect(downloadName(disposition)).toBe(filename);
    });
  }
});

/** One request on `agent`; resolves with the response, its body and whether the socket was reused. */
function send(
  agent: Agent,
  opts: { method: string; path: string; headers?: Record<string, string | number>; body?: Buffer | 'slow' },
): Promise<{ res: IncomingMessage; body: string; reused: boolean }> {
  const url = new URL(server.baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: opts.method,
        path: opts.path,
        headers: { authorization: `Bearer ${api.keyA}`, ...opts.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ res, body, reused: req.reusedSocket }));
      },
    );
    // Writing the rest of a body the server already answered may fail once it closes; the
    // answer is what counts, and it arrived first.
    req.on('error', (err) => (req.writableEnded ? undefined : reject(err)));
    if (opts.body === 'slow') {
      // 2 MB declared, sent in 64 KB pieces every 40 ms: the server answers long before the end.
      let sent = 0;
      const piece = Buffer.alloc(64 * 1024, 'a');
      const tick = () => {
        if (req.destroyed) return;
        if (sent >= 2 * 1024 * 1024) return void req.end();
        sent += piece.length;
        req.write(piece, () => setTimeout(tick, 40));
      };
      tick();
    } else {
      req.end(opts.body);
    }
  });
}

describe('after a 413 the connection is either closed or still usable', () => {
  for (const how of ['sent at once', 'sent slowly'] as const) {
    it(`a too-large JSON body ${how}, then a second request on the same keep-alive agent`, async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const first = await send(agent, {
          method: 'POST',
          path: '/v1/fine_tuning/jobs',
          headers: { 'content-type': 'application/json', 'content-length': 2 * 1024 * 1024 },
          body: how === 'sent slowly' ? 'slow' : Buffer.alloc(2 * 1024 * 1024, 'a'),
        });
        expect(first.res.statusCode).toBe(413);
        expect(JSON.parse(first.body).error.code).toBe('payload_too_large');
        const keptAlive = first.res.headers.connection !== 'close';

        const second = await send(agent, { method: 'GET', path: '/v1/files' });
        expect(second.res.statusCode).toBe(200);
        expect(JSON.parse(second.body).object).toBe('list');
        // What the server said is what it did: a kept-alive socket carries the next request.
        expect(second.reused).toBe(keptAlive);
      } finally {
        agent.destroy();
      }
    });
  }
});

describe('an answer given before the body arrived reaches a client still sending it', () => {
  // A slow uploader (or one whose process is busy) is still writing when the 413 is sent. If the
  // server closes the socket outright, the client's next write meets a reset and its socket is
  // torn down before it reads the answer. The server keeps reading (and dropping) the body for a
  // while after answering, as nginx's lingering close does.
  it('a client that writes for 1.5 s without reading still reads the 413', async () => {
    const url = new URL(server.baseUrl);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const received: Buffer[] = [];
    let error: Error | undefined;
    socket.on('error', (err) => (error = err));
    socket.pause();
    socket.write(
      'POST /v1/fine_tuning/jobs HTTP/1.1\r\n' +
        `host: ${url.host}\r\nauthorization: Bearer ${api.keyA}\r\n` +
        'content-type: application/json\r\ncontent-length: 4194304\r\n\r\n',
    );
    const piece = Buffer.alloc(32 * 1024, 'a');
    const until = Date.now() + 1500;
    while (Date.now() < until && !error) {
      socket.write(piece);
      await new Promise((r) => setTimeout(r, 50));
    }
    socket.on('data', (c: Buffer) => received.push(c));
    socket.resume();
    await new Promise<void>((resolve) => {
      socket.once('end', resolve).once('close', () => resolve());
      setTimeout(resolve, 5000);
    });
    socket.destroy();
    const text = Buffer.concat(received).toString('utf8');
    expect(error, text).toBeUndefined();
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text).toContain('payload_too_large');
  }, 20_000);
});

describe('requests the HTTP parser refuses still get the error envelope', () => {
  // Found by the fuzzer (test/fuzz): a 70,000-character id in the path met Node's 16 KB header
  // limit, and Node answered a bare 431 with no body and no x-request-id.
  it('a request line past the header limit: 431, the envelope, an x-request-id, the connection closed', async () => {
    const res = await fetch(`${server.baseUrl}/v1/files/${'x'.repeat(70_000)}`, {
      headers: { authorization: `Bearer ${api.keyA}` },
    });
    expect(res.status).toBe(431);
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    expect(res.headers.get('connection')).toBe('close');
    const body = (await res.json()) as { error: { message: string; type: string; code: string } };
    expect(body.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'request_too_large',
      param: null,
    });
    expect(body.error.message).toMatch(/header/i);
  });

  it('a malformed request line: 400 in the envelope', async () => {
    const { connect } = await import('node:net');
    const url = new URL(server.baseUrl);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () =>
        socket.write('GET /v1/files HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'),
      );
      let out = '';
      socket.on('data', (d) => (out += d));
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toMatch(/\r\nx-request-id: req_/i);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as {
      error: { type: string; code: string };
    };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'malformed_request' });
  });
});
