/**
 * Verifies AWS Signature Version 4 on a request to an embedded store: the Authorization header
 * (the SDKs, our document client) or a presigned URL's query (the part URLs clients PUT to). The
 * signature is computed again from the request with the secret this start of the stack made, and
 * compared in constant time: only a holder of the secret can sign, and a presigned URL authorizes
 * exactly its method, path and query until it expires.
 *
 * Written out here (the canonical request, string to sign and key derivation of AWS's SigV4
 * specification, with node:crypto) because the signing libraries sign, none verifies; the tests
 * check it against requests signed by the AWS SDK (S3, DynamoDB, the S3 presigner) and aws4.
 *
 * Not checked: that a body matches its declared `x-amz-content-sha256` (S3 does; here it would
 * mean buffering uploads). Forging a body needs a signed request in hand, which only the stack,
 * its runners and presigned-URL holders have.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface StoreCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignedRequest {
  method: string;
  /** Path and query as received (still percent-encoded). */
  url: string;
  /** Node's lower-cased headers. */
  headers: Record<string, string | string[] | undefined>;
  /** For header-signed requests without `x-amz-content-sha256`: the body, to hash. */
  body?: Uint8Array;
}

export type Verdict = { ok: true } | { ok: false; code: string; message: string };

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** How far a header-signed request's date may be from ours (S3's and DynamoDB's rule). */
const MAX_SKEW_MS = 15 * 60_000;

const sha256Hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 unreserved characters stay; everything else is %XX (SigV4's URI encoding). */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function queryPairs(rawQuery: string): [string, string][] | undefined {
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = decode(eq < 0 ? part : part.slice(0, eq));
    const v = decode(eq < 0 ? '' : part.slice(eq + 1));
    if (k === undefined || v === undefined) return undefined;
    pairs.push([k, v]);
  }
  return pairs;
}

function canonicalQuery(pairs: [string, string][]): string {
  return pairs
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function headerValue(headers: SignedRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v.join(',') : v).trim().replace(/\s+/g, ' ');
}

/** `20260101T000000Z` → ms since the epoch, or NaN. */
function parseAmzDate(value: string | undefined): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

const refuse = (code: string, message: string): Verdict => ({ ok: false, code, message });

interface Parts {
  accessKeyId: string;
  scope: string[];
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  payloadHash: string;
  queryPairs: [string, string][];
}

function fromHeader(req: SignedRequest, pairs: [string, string][], auth: string): Parts | Verdict {
  const m =
    /^AWS4-HMAC-SHA256 +Credential=([^,\s]+), *SignedHeaders=([^,\s]+), *Signature=([0-9a-f]{64})$/.exec(
      auth.trim(),
    );
  if (!m) return refuse('IncompleteSignature', 'The Authorization header is not a SigV4 signature.');
  const [accessKeyId, ...scope] = m[1].split('/');
  const amzDate = headerValue(req.headers, 'x-amz-date') ?? '';
  const payloadHash =
    headerValue(req.headers, 'x-amz-content-sha256') ?? sha256Hex(req.body ?? new Uint8Array());
  return {
    accessKeyId,
    scope,
    signedHeaders: m[2].split(';'),
    signature: m[3],
    amzDate,
    payloadHash,
    queryPairs: pairs,
  };
}

function fromQuery(pairs: [string, string][], nowMs: number): Parts | Verdict {
  const q = new Map(pairs);
  if (q.get('X-Amz-Algorithm') !== ALGORITHM)
    return refuse('AuthorizationQueryParametersError', 'X-Amz-Algorithm must be AWS4-HMAC-SHA256.');
  const [accessKeyId, ...scope] = (q.get('X-Amz-Credential') ?? '').split('/');
  const amzDate = q.get('X-Amz-Date') ?? '';
  const expires = Number(q.get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 1 || expires > 604_800)
    return refuse('AuthorizationQueryParametersError', 'X-Amz-Expires must be 1 to 604800 seconds.');
  if (nowMs > parseAmzDate(amzDate) + expires * 1000) return refuse('AccessDenied', 'Request has expired.');
  return {
    accessKeyId,
    scope,
    signedHeaders: (q.get('X-Amz-SignedHeaders') ?? '').split(';'),
    signature: q.get('X-Amz-Signature') ?? '',
    amzDate,
    payloadHash: q.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
    queryPairs: pairs.filter(([k]) => k !== 'X-Amz-Signature'),
  };
}

export function verifySigV4(req: SignedRequest, creds: StoreCredentials, nowMs = Date.now()): Verdict {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const pairs = queryPairs(q < 0 ? '' : req.url.slice(q + 1));
  if (!pairs) return refuse('InvalidArgument', 'The query string is not percent-encoded correctly.');
  const auth = headerValue(req.headers, 'authorization');
  const presigned = pairs.some(([k]) => k === 'X-Amz-Signature');
  if (!auth && !presigned) return refuse('AccessDenied', 'Anonymous requests are not allowed: sign them.');
  if (auth && presigned)
    return refuse('InvalidArgument', 'Sign with the Authorization header or the query, not both.');
  const parts = auth ? fromHeader(req, pairs, auth) : fromQuery(pairs, nowMs);
  if ('ok' in parts) return parts;

  if (parts.accessKeyId !== creds.accessKeyId)
    return refuse('InvalidAccessKeyId', 'The access key id is not this stack’s.');
  const at = parseAmzDate(parts.amzDate);
  if (Number.isNaN(at)) return refuse('IncompleteSignature', 'X-Amz-Date must be yyyyMMddTHHmmssZ.');
  if (auth && Math.abs(nowMs - at) > MAX_SKEW_MS)
    return refuse('RequestTimeTooSkewed', 'The request time is more than 15 minutes from ours.');
  const [date, region, service, terminator] = parts.scope;
  if (parts.scope.length !== 4 || terminator !== 'aws4_request' || date !== parts.amzDate.slice(0, 8))
    return refuse('IncompleteSignature', 'The credential scope is malformed.');
  if (!parts.signedHeaders.includes('host'))
    return refuse('IncompleteSignature', 'The host header must be signed.');

  const headerLines: string[] = [];
  for (const name of parts.signedHeaders) {
    const value = headerValue(req.headers, name);
    if (value === undefined) return refuse('IncompleteSignature', `The signed header ${name} is missing.`);
    headerLines.push(`${name}:${value}\n`);
  }
  const canonicalRequest = [
    req.method,
    path || '/',
    canonicalQuery(parts.queryPairs),
    headerLines.join(''),
    parts.signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n');
  const stringToSign = [ALGORITHM, parts.amzDate, parts.scope.join('/'), sha256Hex(canonicalRequest)].join(
    '\n',
  );
  const key = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest();
  const given = Buffer.from(parts.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return refuse('SignatureDoesNotMatch', 'The request signature does not match.');
  return { ok: true };
}
