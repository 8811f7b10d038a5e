/**
 * The outbound webhook sender: one POST, no redirects, a hard deadline, and only to public
 * addresses. The host is resolved here, EVERY address is checked, and the socket connects to the
 * checked addresses through a pinned `lookup`, so a DNS answer that changes between check and
 * connect (rebinding) cannot move the request. Host header and TLS SNI keep the original name.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { OutboundRequest, OutboundResult, WebhookSender } from '../../ports/webhooks';
import { type AddressPolicy, blockedReason, checkUrl } from './address-policy';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface HttpSenderOptions extends Partial<AddressPolicy> {
  /** The whole attempt (resolve, connect, send, read the snippet). */
  timeoutMs?: number;
  /** Bytes of the response body kept for the delivery log. */
  snippetBytes?: number;
  /** Injectable for tests; defaults to the system resolver (all addresses, in resolver order). */
  resolve?: Resolver;
  /** Extra trusted CAs (tests, private deployments); certificates are always verified. */
  ca?: string | Buffer;
}

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all)
      callback(
        null,
        addresses.map((a) => ({ address: a.address, family: a.family })),
      );
    else callback(null, addresses[0].address, addresses[0].family);
  }) as unknown as LookupFunction;
}

export function createHttpSender(options: HttpSenderOptions = {}): WebhookSender {
  const policy: AddressPolicy = { allowLoopback: options.allowLoopback ?? false };
  const timeoutMs = options.timeoutMs ?? 10_000;
  const snippetBytes = options.snippetBytes ?? 1024;
  const resolve = options.resolve ?? systemResolver;

  return {
    async send(request: OutboundRequest): Promise<OutboundResult> {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      const fail = (
        reason: 'blocked' | 'timeout' | 'network' | 'invalid_url',
        message: string,
      ): OutboundResult => ({
        kind: 'error',
        reason,
        message,
        durationMs: elapsed(),
      });

      const checked = checkUrl(request.url, policy);
      if (!checked.ok) return fail(checked.reason, `url ${checked.message}`);
      const { url, host, literal } = checked;

      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), timeoutMs);
      try {
        let addresses: ResolvedAddress[];
        if (literal) {
          addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
        } else {
          try {
            addresses = await Promise.race([
              resolve(host),
              new Promise<never>((_, reject) =>
                deadline.signal.addEventListener('abort', () => reject(new Error('timeout')), { once: true }),
              ),
            ]);
          } catch (err) {
            if (deadline.signal.aborted)
              return fail('timeout', `resolving ${host} took longer than ${timeoutMs} ms`);
            return fail('network', `could not resolve ${host}: ${(err as Error).message}`);
          }
          if (addresses.length === 0) return fail('network', `${host} has no addresses`);
          for (const a of addresses) {
            const why = blockedReason(a.address, policy);
            if (why) return fail('blocked', `${host} resolves to a non-public address ${a.address} (${why})`);
          }
        }
        return await post(
          url,
          host,
          literal,
          addresses,
          request,
          deadline.signal,
          snippetBytes,
          elapsed,
          fail,
          options.ca,
        );
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function post(
  url: URL,
  host: string,
  literal: boolean,
  addresses: ResolvedAddress[],
  request: OutboundRequest,
  signal: AbortSignal,
  snippetBytes: number,
  elapsed: () => number,
  fail: (reason: 'timeout' | 'network', message: string) => OutboundResult,
  ca: string | Buffer | undefined,
): Promise<OutboundResult> {
  return new Promise((resolvePromise) => {
    let settled = false;
    const settle = (r: OutboundResult) => {
      if (!settled) {
        settled = true;
        resolvePromise(r);
      }
    };
    const transport = url.protocol === 'https:' ? https : http;
    const body = Buffer.from(request.body, 'utf8');
    const req = transport.request({
      protocol: url.protocol,
      host,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { ...request.headers, 'content-length': String(body.length) },
      lookup: pinnedLookup(addresses),
      // A fresh connection per attempt: no pooled socket from an earlier (differently resolved) request.
      agent: false,
      // SNI carries the name the certificate must match (never an IP: RFC 6066).
      ...(url.protocol === 'https:' && !literal && { servername: host }),
      ...(url.protocol === 'https:' && ca !== undefined && { ca }),
    });
    const onAbort = () => {
      req.destroy();
      settle(fail('timeout', `no complete response within the deadline`));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    req.on('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      settle(fail('network', err.message));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      const finish = () => {
        signal.removeEventListener('abort', onAbort);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        }
        settle({
          kind: 'response',
          statusCode: res.statusCode ?? 0,
          headers,
          bodySnippet: Buffer.concat(chunks).subarray(0, snippetBytes).toString('utf8'),
          durationMs: elapsed(),
        });
        res.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        kept += chunk.length;
        // Enough to show the owner what their endpoint said; the rest is not read.
        if (kept >= snippetBytes) finish();
      });
      res.on('end', finish);
      res.on('error', finish);
    });
    req.end(body);
  });
}
