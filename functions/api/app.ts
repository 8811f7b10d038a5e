/**
 * The HTTP API: an OpenAPIHono app whose routes come from the contract in openapi/ and whose
 * handlers call the domain. Middleware order: auth (tenant) → body limit → Idempotency-Key → route
 * validators (zod) → handler. One onError renders every failure as the OpenAI error envelope.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { apiContext } from './context';
import type { AppDeps } from './deps';
import type { ApiEnv } from './env';
import { envelope, errorHandler, validationErrorFrom } from './errors';
import { bearerAuth } from './middleware/auth';
import { limitBody } from './middleware/body-limit';
import { idempotency } from './middleware/idempotency';
import { OPENAPI_INFO } from './openapi-info';
import { registerFileRoutes } from './routes/files';
import { registerJobRoutes } from './routes/jobs';
import { registerModelRoutes } from './routes/models';
import { registerSweepRoutes } from './routes/sweeps';
import { registerProviderRoutes } from './routes/providers';
import { registerUploadRoutes } from './routes/uploads';
import { registerWebhookEndpointRoutes } from './routes/webhook-endpoints';

export type { AppDeps, ApiConfig } from './deps';

/** Multipart framing around the file part (boundaries, part headers, the purpose field). */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
/** Routes that authenticate themselves (provider webhooks carry their own signatures). */
const UNAUTHENTICATED_PREFIXES = ['/v1/providers/'];

export function createApp(deps: AppDeps): OpenAPIHono<ApiEnv> {
  const ctx = apiContext(deps);
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationErrorFrom(result.error);
    },
  });

  app.onError(errorHandler(ctx.logger));
  app.notFound((c) =>
    envelope(c, 404, {
      message: `Unknown request URL: ${c.req.method} ${c.req.path}.`,
      type: 'invalid_request_error',
      param: null,
      code: 'unknown_url',
    }),
  );

  const auth = bearerAuth(ctx.stores.apiKeys);
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

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'API key: `Authorization: Bearer <key>`.',
  });
  registerFileRoutes(app, ctx);
  registerUploadRoutes(app, ctx);
  registerJobRoutes(app, ctx);
  registerModelRoutes(app, ctx);
  if (deps.webhooks) registerWebhookEndpointRoutes(app, ctx, deps.webhooks);
  if (deps.sweeps) registerSweepRoutes(app, ctx, deps.sweeps);
  if (deps.providers) registerProviderRoutes(app, ctx, deps.providers);

  app.doc31('/openapi.json', OPENAPI_INFO);
  return app;
}
