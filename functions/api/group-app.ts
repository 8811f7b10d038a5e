/**
 * The sub-app that serves one route group (route-groups.ts): an OpenAPIHono whose validators
 * render failures as our 400 envelope, with the main app's error handler and 404, and the
 * context variables the main app's middleware set for this request.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { ErrorHandler, NotFoundHandler } from 'hono';
import { routePath } from 'hono/route';
import type { ApiEnv } from './env';
import { validationErrorFrom } from './errors';

/** What the main app set on its context, handed over with the request it forwards. */
export const forwardedVariables = new WeakMap<Request, Partial<ApiEnv['Variables']>>();

export function groupApp(handlers: {
  onError: ErrorHandler<ApiEnv>;
  notFound: NotFoundHandler<ApiEnv>;
}): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationErrorFrom(result.error);
    },
  });
  app.onError(handlers.onError);
  app.notFound(handlers.notFound);
  app.use('*', async (c, next) => {
    for (const [name, value] of Object.entries(forwardedVariables.get(c.req.raw) ?? {})) {
      c.set(name as keyof ApiEnv['Variables'], value as never);
    }
    await next();
    // The pattern that matched (`/v1/files/:file_id`), for the main app's access log.
    const route = routePath(c, -1);
    const seen = c.get('requestLog');
    if (seen && route && route !== '*') seen.route = route;
  });
  return app;
}
