/** The Hono environment of the app: what middleware puts on the context for handlers. */
import type { TenantId } from '../domain/records';

export interface ApiEnv {
  Variables: {
    tenantId: TenantId;
  };
}
