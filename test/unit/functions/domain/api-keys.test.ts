import { describe, expect, it } from 'vitest';
import {
  authenticateApiKey,
  createApiKey,
  generateApiKey,
  hashApiKey,
  isWellFormedApiKey,
  verifyApiKey,
} from '../../../../functions/domain/api-keys';
import type { ApiKeyRecord } from '../../../../functions/domain/records';

describe('API keys', () => {
  it('generates distinct tp_ keys with 256 bits in base62', () => {
    const keys = new Set(Array.from({ length: 200 }, generateApiKey));
    expect(keys.size).toBe(200);
    for (const k of keys) {
      expect(k).toMatch(/^tp_[0-9A-Za-z]{43}$/);
      expect(isWellFormedApiKey(k)).toBe(true);
    }
    expect(isWellFormedApiKey('sk-abc')).toBe(false);
  });

  it('hashes with sha256 hex and verifies only the right key', () => {
    const k = generateApiKey();
    const h = hashApiKey(k);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyApiKey(k, h)).toBe(true);
    expect(verifyApiKey(generateApiKey(), h)).toBe(false);
    expect(verifyApiKey(k, 'abc')).toBe(false);
  });

  it('stores only the hash and authenticates the presented key', async () => {
    const saved = new Map<string, ApiKeyRecord>();
    const apiKeys = {
      put: async (r: ApiKeyRecord) => void saved.set(r.keyHash, r),
      getByHash: async (h: string) => saved.get(h),
      list: async () => [...saved.values()],
      revoke: async (h: string, at: number) => void saved.set(h, { ...saved.get(h)!, revokedAt: at }),
    };
    const { key, record } = await createApiKey(
      { apiKeys, clock: { nowMs: () => 5_000 } },
      { tenantId: 't1', name: 'default' },
    );
    expect(JSON.stringify([...saved.values()])).not.toContain(key.slice(6, -4));
    expect(record).toMatchObject({ tenantId: 't1', name: 'default', createdAt: 5 });
    expect(await authenticateApiKey(apiKeys, key)).toEqual(record);
    expect(await authenticateApiKey(apiKeys, generateApiKey())).toBeUndefined();
    expect(await authenticateApiKey(apiKeys, '')).toBeUndefined();
    const chosen = await createApiKey(
      { apiKeys, clock: { nowMs: () => 0 } },
      { tenantId: 't2', name: 'env', key: 'my-dev-key' },
    );
    expect((await authenticateApiKey(apiKeys, 'my-dev-key'))?.tenantId).toBe('t2');
    expect(chosen.key).toBe('my-dev-key');
  });
});
