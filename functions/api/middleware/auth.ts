/** Bearer API keys: the key's hash finds its tenant; every handler then works inside that tenant. */
import { createMiddleware } from 'hono/factory';
import { authenticateApiKey } from '../../domain/api-keys';
import { AuthenticationError } from '../../errors';
import type { ApiKeyStore } from '../../ports/store';
import type { ApiEnv } from '../env';

export function bearerAuth(apiKeys: ApiKeyStore) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new AuthenticationError();
    const record = await authenticateApiKey(apiKeys, match[1]);
    if (!record) throw new AuthenticationError('Incorrect API key provided.');
    c.set('tenantId', record.tenantId);
    await next();
  });
}
