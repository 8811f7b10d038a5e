/**
 * The HTTP API: routes from the contract in openapi/ whose handlers call the domain. Middleware
 * order: request id and access log → auth (tenant) → body limit → Idempotency-Key → route
 * validators (zod) → handler. One
 * onError renders every failure as the OpenAI error envelope. The routes come in groups loaded on
 * their first request (route-groups.ts says why); the main app holds only the middleware.
 */
import { Hono, type Context, type ErrorHandler, type MiddlewareHandler, type NotFoundHandler } from 'hono';
import { apiContext, type ApiContext } from './context';
import type { AppDeps } from './deps';
import type { ApiEnv } from './env';
import { envelope, errorHandler } from './errors';
import { bearerAuth } from './middleware/auth';
import { limitBody } from './middleware/body-limit';
import { requestLog } from './middleware/request-log';
import { idempotency } from './middleware/idempotency';
import { routeGroups, type RouteGroup } from './route-groups';

export type { AppDeps, ApiConfig } from './deps';

/** Multipart framing around the file part (boundaries, part headers, the purpose field). */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
/**
 * Routes that authenticate themselves: provider webhooks carry their own signatures, eval reports
 * the run's report token (report_url opens in a browser, which has no API key to send).
 */
const UNAUTHENTICATED_PREFIXES = ['/v1/providers/', '/v1/eval_reports/'];

export function createApp(deps: AppDeps): Hono<ApiEnv> {
  const ctx = apiContext(deps);
  const app = new Hono<ApiEnv>();
  const onError = errorHandler(ctx.logger);
  const notFound: NotFoundHandler<ApiEnv> = (c) =>
    envelope(c, 404, {
      message: `Unknown request URL: ${c.req.method} ${c.req.path}.`,
      type: 'invalid_request_error',
      param: null,
      code: 'unknown_url',
    });
  app.onError(onError);
  app.notFound(notFound);
  app.use('*', requestLog(ctx.logger));

  const auth = bearerAuth(ctx.stores.apiKeys, ctx.clock);
  const directUploadLimit = limitBody(ctx.config.maxDirectUploadBytes + MULTIPART_OVERHEAD_BYTES);
  const jsonLimit = limitBody(ctx.config.maxJsonBodyBytes);
  const guard: MiddlewareHandler<ApiEnv> = async (c, next) => {
    // No key on these, so the size limit is all that stands between a stranger and our memory.
    if (UNAUTHENTICATED_PREFIXES.some((p) => c.req.path.startsWith(p))) return jsonLimit(c, next);
    return auth(c, async () => {
      if (c.req.method === 'GET' || c.req.method === 'DELETE' || c.req.method === 'HEAD') return next();
      const limit = c.req.method === 'POST' && c.req.path === '/v1/files' ? directUploadLimit : jsonLimit;
      await limit(c, next);
    });
  };
  app.use('/v1/*', guard);
  const idem = idempotency(ctx.stores.idempotency, ctx.clock, ctx.config.idempotencyTtlSeconds);
  app.use('/v1/*', async (c, next) => {
    if (UNAUTHENTICATED_PREFIXES.some((p) => c.req.path.startsWith(p))) return next();
    return idem(c, next);
  });

  const groups = routeGroups(deps);
  for (const group of groups) {
    const serve = lazyGroup(group, ctx, { onError, notFound });
    for (const prefix of group.prefixes) {
      app.all(prefix, serve);
      app.all(`${prefix}/*`, serve);
    }
  }

  let document: Promise<Record<string, unknown>> | undefined;
  app.get('/openapi.json', async (c) => {
    const documented = [
      ...new Set([
        ...groups.flatMap((g) => (g.contract ? [g.contract] : [])),
        ...(deps.servedElsewhere ?? []),
      ]),
    ];
    document ??= import('../../openapi/document').then((m) => m.openApiDocument(documented));
    return c.json(await document);
  });
  return app;
}

/** Serves a group's paths: loads the group on first use, then hands each request to its sub-app. */
function lazyGroup(
  group: RouteGroup,
  ctx: ApiContext,
  handlers: { onError: ErrorHandler<ApiEnv>; notFound: NotFoundHandler<ApiEnv> },
): MiddlewareHandler<ApiEnv> {
  let loading: Promise<{ app: Hono<ApiEnv>; variables: WeakMap<Request, object> }> | undefined;
  const load = async () => {
    const { groupApp, forwardedVariables } = await import('./group-app');
    const sub = groupApp(handlers);
    await group.register(sub, ctx);
    return { app: sub as unknown as Hono<ApiEnv>, variables: forwardedVariables };
  };
  return async (c) => {
    loading ??= load().catch((err: unknown) => {
      loading = undefined; // not cached: the next request tries again
      throw err;
    });
    const { app: sub, variables } = await loading;
    const request = await forwardedRequest(c);
    variables.set(request, c.var);
    return sub.fetch(request, c.env, executionContextOf(c));
  };
}

/** The request as the middleware left it; rebuilt around the cached body if one of them read it. */
async function forwardedRequest(c: Context<ApiEnv>): Promise<Request> {
  const raw = c.req.raw;
  if (!raw.bodyUsed) return raw;
  return new Request(raw.url, {
    method: raw.method,
    headers: raw.headers,
    body: await c.req.arrayBuffer(),
    signal: raw.signal,
  });
}

/** Hono's `executionCtx` throws where the runtime has none (Node, Lambda). */
function executionContextOf(c: Context<ApiEnv>) {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}
