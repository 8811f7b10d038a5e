/**
 * The first middleware of every request: its id and its access-log line.
 *
 * `x-request-id` is on every response, errors and unknown routes included: the client's own id
 * when it sent a well-formed one (so a trace crosses our boundary), else `req_` + 32 hex digits
 * (OpenAI's shape). Error logs carry the same id. One JSON line per request goes to the logger:
 * request id, tenant, method, route (the matched pattern, not the path with its ids), path,
 * status and milliseconds. On the embedded stack that is stdout, on AWS the Lambda's log group.
 */
import { randomBytes } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { AppLogger } from '../deps';
import type { ApiEnv } from '../env';

const WELL_FORMED = /^[A-Za-z0-9._:-]{1,200}$/;

export const newRequestId = (): string => `req_${randomBytes(16).toString('hex')}`;

export function requestLog(logger: AppLogger) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming !== undefined && WELL_FORMED.test(incoming) ? incoming : newRequestId();
    const seen: ApiEnv['Variables']['requestLog'] = {};
    c.set('requestId', requestId);
    c.set('requestLog', seen);
    await next();
    try {
      c.res.headers.set('x-request-id', requestId);
    } catch {
      // A response with immutable headers (passed through as is): rebuild it around its body.
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set('x-request-id', requestId);
    }
    const mainRoute = routePath(c, -1);
    logger.info('request', {
      request_id: requestId,
      tenant: c.get('tenantId') ?? null,
      method: c.req.method,
      route: seen.route ?? (mainRoute && mainRoute !== '*' && !mainRoute.endsWith('/*') ? mainRoute : null),
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
  });
}
