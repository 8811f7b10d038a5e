/** The Hono environment of the app: what middleware puts on the context for handlers. */
import type { TenantId } from '../domain/records';

export interface ApiEnv {
  Variables: {
    tenantId: TenantId;
    /** This request's id (middleware/request-log.ts): the `x-request-id` header and every log line's. */
    requestId: string;
    /** What a route group learns for the access log: the pattern that matched. */
    requestLog: { route?: string };
  };
}
