/**
 * Bearer API keys: the key's hash finds its tenant; every handler then works inside that tenant.
 * A revoked or expired key is refused saying so (whoever presents it holds the key).
 */
import { createMiddleware } from 'hono/factory';
import { checkApiKey } from '../../domain/api-keys';
import { AuthenticationError } from '../../errors';
import type { Clock } from '../../ports/clock';
import type { ApiKeyStore } from '../../ports/store';
import type { ApiEnv } from '../env';

const REFUSED = {
  unknown: 'Incorrect API key provided.',
  revoked: 'This API key has been revoked.',
  expired: 'This API key has expired.',
} as const;

export function bearerAuth(apiKeys: ApiKeyStore, clock: Clock) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new AuthenticationError();
    const check = await checkApiKey(apiKeys, match[1], Math.floor(clock.nowMs() / 1000));
    if (!check.ok) throw new AuthenticationError(REFUSED[check.reason]);
    c.set('tenantId', check.record.tenantId);
    await next();
  });
}
