/**
 * The embedded stores' front doors. dynalite and s3rver take any signature (s3rver also takes
 * anonymous requests), so on their own any process on the machine could read every tenant's
 * files and mint API keys. Each start of the stack makes fresh credentials; these gates let
 * through only requests signed with them (infra/local/sigv4.ts) and answer the rest the way
 * DynamoDB and S3 answer bad signatures.
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { verifySigV4, type StoreCredentials } from './sigv4';

/** Fresh credentials: the access key id says what it is, the secret is 256 random bits. */
export function newStoreCredentials(): StoreCredentials {
  return {
    accessKeyId: `TPLOCAL${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(32).toString('base64url'),
  };
}

/** DynamoDB's largest request. */
const MAX_DYNAMODB_BODY = 16 * 1024 * 1024;

/**
 * Puts the gate in front of dynalite's request listener. DynamoDB signs the body (no
 * x-amz-content-sha256 header), so the gate reads it, verifies, and hands dynalite a replay.
 */
export function gateDynalite(server: Server, creds: StoreCredentials): void {
  const [handler] = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_DYNAMODB_BODY) {
        res.writeHead(413, { connection: 'close' }).end();
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const verdict = verifySigV4(
        { method: req.method ?? '', url: req.url ?? '/', headers: req.headers, body },
        creds,
      );
      if (!verdict.ok) {
        const type =
          verdict.code === 'InvalidAccessKeyId' ? 'UnrecognizedClientException' : 'InvalidSignatureException';
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: `com.amazon.coral.service#${type}`, message: verdict.message }));
        return;
      }
      const replay = Object.assign(Readable.from([body]), {
        method: req.method,
        url: req.url,
        headers: req.headers,
        socket: req.socket,
      });
      handler.call(server, replay as unknown as IncomingMessage, res);
    });
    req.on('error', () => res.destroy());
  });
}

interface KoaContext {
  method: string;
  req: IncomingMessage;
  status: number;
  type: string;
  body: unknown;
}

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A Koa middleware for the front of s3rver's chain; S3's payload hash is a header, so bodies stream on. */
export function s3Gate(creds: StoreCredentials) {
  return async (ctx: KoaContext, next: () => Promise<void>): Promise<void> => {
    // A browser's CORS preflight before it PUTs an upload part to a presigned URL (the dashboard)
    // carries no credentials by design; s3rver answers it from the bucket's CORS rule alone.
    if (ctx.method === 'OPTIONS' && ctx.req.headers['access-control-request-method']) return next();
    const verdict = verifySigV4(
      { method: ctx.method, url: ctx.req.url ?? '/', headers: ctx.req.headers },
      creds,
    );
    if (verdict.ok) return next();
    ctx.status = 403;
    ctx.type = 'application/xml';
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${verdict.code}</Code><Message>${xmlEscape(verdict.message)}</Message></Error>`;
  };
}
