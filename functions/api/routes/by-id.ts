/** The handler shape several resources share: act on the resource the path names, answer with it. */
import type { Context } from 'hono';
import type { ApiEnv } from '../env';

/**
 * `byPathId(param, deps, present)(act)` is a handler that runs `act(deps, tenant, <path param>)` and
 * answers 200 with `present` of what it returns (retrieve, cancel, pause, resume, complete, …).
 * The compiler checks the answer against the route's response schema but not `param` against its
 * path: a wrong name reads undefined, which each route's API tests would show at once.
 */
export function byPathId<P extends string, D, R, O>(param: P, deps: D, present: (record: R) => O) {
  return (act: (deps: D, tenantId: string, id: string) => Promise<R>) =>
    async (c: Context<ApiEnv, string, { out: { param: Record<P, string> } }>) =>
      c.json(present(await act(deps, c.get('tenantId'), c.req.valid('param')[param])), 200);
}
