/**
 * The local stack's API key. With TUNEPLANE_API_KEY set, that key is registered and used.
 * Otherwise a key is generated on first start and kept in <data dir>/api-key (mode 0600), so
 * every later start can print it again (the table holds only its hash).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createApiKey, hashApiKey } from '../../functions/domain/api-keys';
import type { Clock } from '../../functions/ports/clock';
import type { ApiKeyStore } from '../../functions/ports/store';

/** Every key of the local stack belongs to this one tenant. */
export const LOCAL_TENANT = 'local';

export async function ensureLocalApiKey(
  deps: { apiKeys: ApiKeyStore; clock: Clock },
  dataDir: string,
  configured?: string,
): Promise<{ key: string; created: boolean }> {
  const file = path.join(dataDir, 'api-key');
  const key = configured ?? (existsSync(file) ? (await readFile(file, 'utf8')).trim() : undefined);
  if (key && (await deps.apiKeys.getByHash(hashApiKey(key)))) return { key, created: false };
  const created = await createApiKey(deps, {
    tenantId: LOCAL_TENANT,
    name: configured ? 'TUNEPLANE_API_KEY' : 'local default',
    key,
  });
  if (!configured) await writeFile(file, created.key + '\n', { mode: 0o600 });
  return { key: created.key, created: true };
}
