/**
 * The DynamoDB document client every store uses: the five item operations the stores need (plus
 * Scan for tests), with plain JavaScript values in and out, spoken straight over DynamoDB's JSON
 * protocol: one signed HTTPS POST per call.
 *
 * Why not the AWS SDK's DynamoDBDocumentClient (which the stores used before): on a Lambda cold
 * start its code (~230 KB bundled, plus the endpoint rule engine) took about as long to load as
 * the whole bare Hono handler, before a single request — measured by `npm run bench:coldstart`.
 * Signing is `aws4` (SigV4 with node:crypto; by dynalite's author, in wide use); marshalling is the
 * SDK's own `@aws-sdk/util-dynamodb`, so values convert exactly as they did through the SDK (same
 * options: undefined removed, class instances refused). Requests go through node:http(s) with a
 * keep-alive agent, not `fetch`: Node's fetch (undici) costs ~30 ms more on the first call (it
 * compiles its own HTTP parser) and a few ms more on every call.
 *
 * Inputs and outputs keep the SDK's names and shapes (`GetCommandInput` …), so the stores read the
 * same as with the SDK and its types document every field. Errors carry DynamoDB's error name
 * (`ConditionalCheckFailedException` …), as the SDK's do. Throttling, 5xx and network failures
 * are retried like the SDK's standard mode: 3 attempts, exponential backoff with full jitter.
 */
import type {
  DeleteCommandInput,
  DeleteCommandOutput,
  GetCommandInput,
  GetCommandOutput,
  PutCommandInput,
  PutCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  ScanCommandInput,
  ScanCommandOutput,
  UpdateCommandInput,
  UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall, type marshallOptions } from '@aws-sdk/util-dynamodb';
import aws4 from 'aws4';
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type RequestOptions,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

type Item = Record<string, unknown>;
/** The SDK's outputs minus `$metadata`, which nothing here reads. */
type Out<T> = Omit<T, '$metadata'>;

export interface DocumentClient {
  get(input: GetCommandInput): Promise<Out<GetCommandOutput>>;
  put(input: PutCommandInput): Promise<Out<PutCommandOutput>>;
  update(input: UpdateCommandInput): Promise<Out<UpdateCommandOutput>>;
  delete(input: DeleteCommandInput): Promise<Out<DeleteCommandOutput>>;
  query(input: QueryCommandInput): Promise<Out<QueryCommandOutput>>;
  scan(input: ScanCommandInput): Promise<Out<ScanCommandOutput>>;
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When temporary credentials stop working; refreshed a few minutes before. */
  expiration?: Date;
}

export type CredentialsSource = AwsCredentials | (() => Promise<AwsCredentials>);

export interface DocumentClientConfig {
  region: string;
  /** Set on the embedded stack (dynalite); the regional endpoint otherwise. */
  endpoint?: string;
  /** Static credentials or a provider; by default `defaultCredentials()`. */
  credentials?: CredentialsSource;
  /** Attempts per call, the first included (the SDK's default is 3). */
  maxAttempts?: number;
}

/**
 * A failed DynamoDB call. `name` is DynamoDB's error type, as on the SDK's exceptions.
 *
 * Outside the project's error tree on purpose: it mirrors the AWS SDK's error shape (callers tell
 * failures apart by `name`, as they would with the SDK), and it does not leave the adapters as a
 * failure of ours: table.ts turns a failed condition into ConflictError; anything else is the
 * store's failure, a logged 500 at the API's edge.
 */
export class DynamoDBError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

const MARSHALL: marshallOptions = { removeUndefinedValues: true, convertClassInstanceToMap: false };
/** The SDK's throttling error codes for DynamoDB: retried like 5xx. */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
]);
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 20_000;

const toWire = (v: Item | undefined) => (v === undefined ? undefined : marshall(v, MARSHALL));
const fromWire = (v: unknown) =>
  v === undefined ? undefined : unmarshall(v as Parameters<typeof unmarshall>[0]);

/** The input with the value-bearing fields in DynamoDB's typed JSON. */
function wireInput(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input };
  for (const field of ['Key', 'Item', 'ExpressionAttributeValues', 'ExclusiveStartKey'] as const) {
    if (out[field] !== undefined) out[field] = toWire(out[field] as Item);
  }
  return out;
}

function plainOutput(output: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...output };
  for (const field of ['Item', 'Attributes', 'LastEvaluatedKey'] as const) {
    if (out[field] !== undefined) out[field] = fromWire(out[field]);
  }
  if (Array.isArray(out.Items)) out.Items = out.Items.map(fromWire);
  return out;
}

/**
 * Binary values travel base64-encoded in DynamoDB's JSON. `this[key]` is the value before
 * `toJSON`, which a Buffer has (it would otherwise arrive here as `{ type, data }`).
 */
function binaryAsBase64(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Uint8Array
    ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64')
    : value;
}

/** In an attribute value a string under `B` (or strings under `BS`) can only be binary. */
function base64AsBinary(key: string, value: unknown): unknown {
  const decode = (b64: string) => Uint8Array.from(Buffer.from(b64, 'base64'));
  if (key === 'B' && typeof value === 'string') return decode(value);
  if (key === 'BS' && Array.isArray(value) && value.every((v) => typeof v === 'string'))
    return value.map(decode);
  return value;
}

export function regionalEndpoint(region: string): string {
  return `https://dynamodb.${region}.amazonaws.${region.startsWith('cn-') ? 'com.cn' : 'com'}`;
}

export function createDocumentClient(config: DocumentClientConfig): DocumentClient {
  const url = new URL(config.endpoint ?? regionalEndpoint(config.region));
  const secure = url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  // Keep-alive: a warm Lambda reuses its TLS connection instead of a handshake per call.
  const agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const credentials = credentialsCache(config.credentials ?? defaultCredentials());
  const maxAttempts = config.maxAttempts ?? 3;

  async function call(operation: string, input: object): Promise<Record<string, unknown>> {
    const body = JSON.stringify(wireInput(input as Record<string, unknown>), binaryAsBase64);
    for (let attempt = 1; ; attempt++) {
      let retryable: boolean;
      let failure: unknown;
      try {
        const signed = aws4.sign(
          {
            host: url.host,
            path: '/',
            method: 'POST',
            service: 'dynamodb',
            region: config.region,
            headers: {
              'content-type': 'application/x-amz-json-1.0',
              'x-amz-target': `DynamoDB_20120810.${operation}`,
            },
            body,
          },
          await credentials(),
        );
        const res = await post(
          send,
          { ...signed, host: url.hostname, port: url.port || undefined, agent },
          body,
        );
        if (res.status >= 200 && res.status < 300) {
          return plainOutput(res.text ? JSON.parse(res.text, base64AsBinary) : {});
        }
        failure = errorFrom(res.status, res.text);
        retryable = res.status >= 500 || THROTTLING.has((failure as DynamoDBError).name);
      } catch (err) {
        // A connection that failed or broke (ECONNREFUSED, ECONNRESET …) is retried, as the SDK does.
        if (!isNetworkError(err)) throw err;
        failure = err;
        retryable = true;
      }
      if (!retryable || attempt >= maxAttempts) throw failure;
      const delay = Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  return {
    get: (input) => call('GetItem', input),
    put: (input) => call('PutItem', input),
    update: (input) => call('UpdateItem', input),
    delete: (input) => call('DeleteItem', input),
    query: (input) => call('Query', input),
    scan: (input) => call('Scan', input),
  };
}

/** Node's system errors (`code` 'ECONNRESET' …), as raised by the request below. */
function isNetworkError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

function post(
  send: typeof httpRequest,
  options: RequestOptions,
  body: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = send(options, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The document client alone: what a Lambda that reads and writes the table needs. `credentials`
 * are the embedded stack's; without them the default source (the environment, then the SDK's chain).
 */
export function documentClientFor(config: {
  region: string;
  dynamodbEndpoint?: string;
  credentials?: AwsCredentials;
}): DocumentClient {
  return createDocumentClient({
    region: config.region,
    ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
  });
}

function errorFrom(status: number, text: string): DynamoDBError {
  let body: { __type?: string; message?: string; Message?: string } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // A proxy's HTML error page, say: the status is all we have.
  }
  // `__type` is "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException".
  const name = body.__type?.split('#').pop() || `HttpError${status}`;
  return new DynamoDBError(name, body.message ?? body.Message ?? `DynamoDB answered HTTP ${status}`, status);
}

/** Refresh temporary credentials this long before they expire. */
const REFRESH_BEFORE_MS = 5 * 60_000;

function credentialsCache(source: CredentialsSource): () => Promise<AwsCredentials> {
  if (typeof source !== 'function') return async () => source;
  let current: Promise<AwsCredentials> | undefined;
  return async () => {
    const cached = current && (await current.catch(() => undefined));
    if (cached && (!cached.expiration || cached.expiration.getTime() - Date.now() > REFRESH_BEFORE_MS))
      return cached;
    current = source();
    return current;
  };
}

/**
 * Lambda puts its role's credentials in the environment: read them there, with no SDK code
 * loaded. Elsewhere (a Batch container's task role, a developer's profile) the SDK's default
 * provider chain is loaded on first use.
 */
export function defaultCredentials(env: NodeJS.ProcessEnv = process.env): CredentialsSource {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  let chain: (() => Promise<AwsCredentials>) | undefined;
  return async () => {
    if (!chain) {
      const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
      chain = defaultProvider();
    }
    return chain();
  };
}
