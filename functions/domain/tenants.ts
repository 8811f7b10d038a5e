/**
 * Operating tenants and their API keys (the `tuneplane admin` commands, on either deployment):
 * create, list and revoke. A key belongs to an existing, unrevoked tenant and may carry an expiry;
 * revoking a tenant revokes its keys, so authentication stays one read of the key.
 */
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import type { Clock } from '../ports/clock';
import type { ApiKeyStore, TenantStore } from '../ports/store';
import { apiKeyId, createApiKey } from './api-keys';
import type { ApiKeyRecord, TenantId, TenantRecord } from './records';

export interface TenantDeps {
  stores: { tenants: TenantStore; apiKeys: ApiKeyStore };
  clock: Clock;
}

/** Tenant ids appear in keys of the table and the bucket (`files/<tenant>/…`). */
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const nowS = (clock: Clock) => Math.floor(clock.nowMs() / 1000);

export async function createTenant(
  deps: TenantDeps,
  input: { id: TenantId; name?: string },
): Promise<TenantRecord> {
  if (!TENANT_ID.test(input.id))
    throw new ValidationError(
      `tenant id '${input.id}': 1 to 64 letters, digits, '_', '.', '-', starting with a letter or digit`,
      'tenant',
    );
  const tenant: TenantRecord = { id: input.id, name: input.name ?? input.id, createdAt: nowS(deps.clock) };
  try {
    await deps.stores.tenants.create(tenant);
  } catch (err) {
    if (err instanceof ConflictError)
      throw new ConflictError(`Tenant ${input.id} exists.`, 'tenant_exists', err);
    throw err;
  }
  return tenant;
}

/** Makes sure `id` has a tenant record (the embedded stack's own tenant, keys made before tenants existed). */
export async function ensureTenant(deps: TenantDeps, id: TenantId, name = id): Promise<TenantRecord> {
  const existing = await deps.stores.tenants.get(id);
  if (existing) return existing;
  try {
    return await createTenant(deps, { id, name });
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    return (await deps.stores.tenants.get(id))!;
  }
}

export function listTenants(deps: TenantDeps): Promise<TenantRecord[]> {
  return deps.stores.tenants.list();
}

/** Revokes the tenant and every key it has; returns how many keys were still live. */
export async function revokeTenant(deps: TenantDeps, id: TenantId): Promise<{ keysRevoked: number }> {
  const tenant = await deps.stores.tenants.get(id);
  if (!tenant) throw new NotFoundError('tenant', id, 'tenant');
  const at = nowS(deps.clock);
  // The tenant first: from now on no key can be issued for it, so none escapes the sweep below.
  await deps.stores.tenants.revoke(id, at);
  let keysRevoked = 0;
  for (const key of await deps.stores.apiKeys.list(id)) {
    if (key.revokedAt !== undefined) continue;
    await deps.stores.apiKeys.revoke(key.keyHash, at);
    keysRevoked++;
  }
  return { keysRevoked };
}

/** A new key for an existing, unrevoked tenant; the key is in the answer and nowhere else. */
export async function issueApiKey(
  deps: TenantDeps,
  input: { tenantId: TenantId; name: string; expiresAt?: number },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const tenant = await deps.stores.tenants.get(input.tenantId);
  if (!tenant) throw new NotFoundError('tenant', input.tenantId, 'tenant');
  if (tenant.revokedAt !== undefined)
    throw new ConflictError(`Tenant ${input.tenantId} is revoked; it gets no new keys.`, 'tenant_revoked');
  if (input.expiresAt !== undefined && input.expiresAt <= nowS(deps.clock))
    throw new ValidationError('the expiry must be in the future', 'expires_at');
  return createApiKey({ apiKeys: deps.stores.apiKeys, clock: deps.clock }, input);
}

export interface ApiKeyView {
  id: string;
  tenant: TenantId;
  name: string;
  hint: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  status: 'active' | 'expired' | 'revoked';
}

export function apiKeyView(record: ApiKeyRecord, nowSeconds: number): ApiKeyView {
  return {
    id: apiKeyId(record.keyHash),
    tenant: record.tenantId,
    name: record.name,
    hint: record.hint ?? null,
    created_at: record.createdAt,
    expires_at: record.expiresAt ?? null,
    revoked_at: record.revokedAt ?? null,
    status:
      record.revokedAt !== undefined
        ? 'revoked'
        : record.expiresAt !== undefined && record.expiresAt <= nowSeconds
          ? 'expired'
          : 'active',
  };
}

export async function listApiKeys(deps: TenantDeps, tenantId?: TenantId): Promise<ApiKeyView[]> {
  const now = nowS(deps.clock);
  return (await deps.stores.apiKeys.list(tenantId)).map((r) => apiKeyView(r, now));
}

/** Revokes the key with this id (`key_…`, as listed). */
export async function revokeApiKey(deps: TenantDeps, keyId: string): Promise<ApiKeyView> {
  const record = (await deps.stores.apiKeys.list()).find((r) => apiKeyId(r.keyHash) === keyId);
  if (!record) throw new NotFoundError('API key', keyId, 'key');
  const at = nowS(deps.clock);
  await deps.stores.apiKeys.revoke(record.keyHash, at);
  return apiKeyView({ ...record, revokedAt: record.revokedAt ?? at }, at);
}
