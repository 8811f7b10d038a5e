/**
 * An API on the embedded stack (dynalite + s3rver over HTTP) with two tenants, each with a key,
 * and one base model registered the way the local stack registers them (record + config.json).
 */
import { createApp, type AppDeps } from '../../functions/api/app';
import type { AppLogger } from '../../functions/api/deps';
import { createApiKey } from '../../functions/domain/api-keys';
import { timeSortedIds } from '../../functions/domain/ids';
import { systemClock } from '../../functions/ports/clock';
import { serveApi } from '../../infra/local/http-server';
import { startEmbedded, type Embedded } from '../support/embedded';

export const BASE_MODEL = 'tp-gpt2-tiny';
export const BASE_MODEL_CONFIG = {
  model_type: 'gpt2',
  n_positions: 256,
  n_embd: 64,
  n_layer: 2,
  n_head: 2,
  vocab_size: 256,
};

/** A Response whose JSON is loosely typed: tests assert the shapes they read. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonResponse = Omit<Response, 'json'> & { json(): Promise<any> };

export interface ApiHarness {
  env: Embedded;
  app: ReturnType<typeof createApp>;
  deps: AppDeps;
  keyA: string;
  keyB: string;
  logs: { level: string; message: string; detail?: Record<string, unknown> }[];
  /** `app.request` with the key (tenant A by default) and JSON helpers. */
  call(method: string, path: string, opts?: CallOptions): Promise<JsonResponse>;
  upload(
    content: string | Uint8Array,
    opts?: { key?: string; filename?: string; purpose?: string },
  ): Promise<JsonResponse>;
  /** Serves the app over real HTTP on a free loopback port. */
  listen(): Promise<{ baseUrl: string; close(): Promise<void> }>;
  stop(): Promise<void>;
}

export interface CallOptions {
  key?: string | null;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
}

export async function startApi(overrides: Partial<AppDeps> = {}): Promise<ApiHarness> {
  const clock = overrides.clock ?? systemClock;
  const env = await startEmbedded({ clock });
  const logs: ApiHarness['logs'] = [];
  const logger: AppLogger = {
    error: (message, detail) => logs.push({ level: 'error', message, detail }),
    warn: (message, detail) => logs.push({ level: 'warn', message, detail }),
    info: (message, detail) => logs.push({ level: 'info', message, detail }),
  };
  const deps: AppDeps = {
    stores: env.stores,
    blobs: env.blobs,
    clock,
    ids: timeSortedIds(clock),
    logger,
    ...overrides,
  };
  const app = createApp(deps);
  const { key: keyA } = await createApiKey(
    { apiKeys: deps.stores.apiKeys, clock },
    { tenantId: 'tenant-a', name: 'a' },
  );
  const { key: keyB } = await createApiKey(
    { apiKeys: deps.stores.apiKeys, clock },
    { tenantId: 'tenant-b', name: 'b' },
  );
  await env.blobs.put(
    `models/${BASE_MODEL}/config.json`,
    JSON.stringify(BASE_MODEL_CONFIG),
    'application/json',
  );
  await deps.stores.models.put({
    id: BASE_MODEL,
    tenantId: 'system',
    createdAt: 1_700_000_000,
    ownedBy: 'tuneplane',
    blobPrefix: `models/${BASE_MODEL}`,
  });

  const call: ApiHarness['call'] = (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    const key = opts.key === undefined ? keyA : opts.key;
    if (key) headers.authorization = `Bearer ${key}`;
    let body = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] ??= 'application/json';
    }
    return Promise.resolve(app.request(`http://api.test${path}`, { method, headers, body }));
  };

  return {
    env,
    app,
    deps,
    keyA,
    keyB,
    logs,
    call,
    upload(content, opts = {}) {
      const form = new FormData();
      form.append('purpose', opts.purpose ?? 'fine-tune');
      form.append('file', new File([content], opts.filename ?? 'train.jsonl', { type: 'application/jsonl' }));
      return call('POST', '/v1/files', { key: opts.key, body: form });
    },
    /** The embedded stack's own server (infra/local/http-server.ts) on a free loopback port. */
    async listen() {
      const { server, port } = await serveApi(app.fetch, { port: 0, hostname: '127.0.0.1' });
      return {
        baseUrl: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
      };
    },
    stop: () => env.stop(),
  };
}

/** The error envelope of a response, asserting its shape on the way. */
export async function errorOf(
  res: JsonResponse,
): Promise<{ message: string; type: string; param: string | null; code: string | null }> {
  const body = (await res.json()) as {
    error: { message: string; type: string; param: string | null; code: string | null };
  };
  if (
    !body.error ||
    typeof body.error.message !== 'string' ||
    !('param' in body.error) ||
    !('code' in body.error) ||
    !body.error.type
  ) {
    throw new Error(`not an error envelope: ${JSON.stringify(body)}`);
  }
  return body.error;
}
