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
import type { ApiKeyStore, TenantStore } from '../../functions/ports/store';
import { ensureTenant } from '../../functions/domain/tenants';

/** Every key of the local stack belongs to this one tenant. */
export const LOCAL_TENANT = 'local';

export async function ensureLocalApiKey(
  deps: { apiKeys: ApiKeyStore; tenants: TenantStore; clock: Clock },
  dataDir: string,
  configured?: string,
): Promise<{ key: string; created: boolean }> {
  // The stack's tenant has a record like any other (`tuneplane admin tenants list` shows it).
  await ensureTenant({ stores: deps, clock: deps.clock }, LOCAL_TENANT, 'the embedded stack');
  const file = path.join(dataDir, 'api-key');
  const key = configured ?? (existsSync(file) ? (await readFile(file, 'utf8')).trim() : undefined);
  const existing = key ? await deps.apiKeys.getByHash(hashApiKey(key)) : undefined;
  if (key && existing && existing.revokedAt === undefined) {
    // Written again through the store: a key stored before keys were listed gets its index entries.
    await deps.apiKeys.put(existing);
    return { key, created: false };
  }
  const created = await createApiKey(deps, {
    tenantId: LOCAL_TENANT,
    name: configured ? 'TUNEPLANE_API_KEY' : 'local default',
    // A revoked configured key is not brought back: a new key is made instead.
    key: existing?.revokedAt !== undefined ? undefined : key,
  });
  if (!configured) await writeFile(file, created.key + '\n', { mode: 0o600 });
  return { key: created.key, created: true };
}
