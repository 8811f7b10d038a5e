/**
 * API keys: `tp_` + 32 random bytes in base62 (43 characters). Only the sha256 hex of a key is
 * stored (`ApiKeyRecord.keyHash`), so a leaked table does not leak usable keys; looking a key up
 * is a get by its hash.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../ports/clock';
import type { ApiKeyStore } from '../ports/store';
import type { ApiKeyRecord, TenantId } from './records';

export const API_KEY_PREFIX = 'tp_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 32 bytes = 256 bits need ceil(256 / log2(62)) = 43 base-62 digits. */
const BODY_LENGTH = 43;
const KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${BODY_LENGTH}}$`);

function base62(bytes: Uint8Array, width: number): string {
  let n = BigInt('0x' + Buffer.from(bytes).toString('hex'));
  let s = '';
  while (n > 0n) {
    s = BASE62[Number(n % 62n)] + s;
    n /= 62n;
  }
  return s.padStart(width, '0');
}

export function generateApiKey(): string {
  return API_KEY_PREFIX + base62(randomBytes(32), BODY_LENGTH);
}

/** Whether a string has the shape of one of our keys (cheap pre-check before a store lookup). */
export function isWellFormedApiKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented key against a stored hash. */
export function verifyApiKey(key: string, keyHash: string): boolean {
  const a = Buffer.from(hashApiKey(key), 'hex');
  const b = Buffer.from(keyHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A key's public id (listings, `revoke`): derived from its hash, so no record needs one stored. */
export function apiKeyId(keyHash: string): string {
  return `key_${keyHash.slice(0, 16)}`;
}

/** `tp_AbC…wxyz`: enough of a key to recognise it, too little to use it. */
function hintOf(key: string): string {
  return key.length > 12 ? `${key.slice(0, 6)}…${key.slice(-4)}` : '…';
}

/** Creates and stores a new key for `tenantId`; the returned `key` is shown once and never stored. */
export async function createApiKey(
  deps: { apiKeys: ApiKeyStore; clock: Clock },
  input: { tenantId: TenantId; name: string; key?: string; expiresAt?: number },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = input.key ?? generateApiKey();
  const record: ApiKeyRecord = {
    keyHash: hashApiKey(key),
    tenantId: input.tenantId,
    name: input.name,
    createdAt: Math.floor(deps.clock.nowMs() / 1000),
    hint: hintOf(key),
    ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
  };
  await deps.apiKeys.put(record);
  return { key, record };
}

export type KeyCheck =
  { ok: true; record: ApiKeyRecord } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

/**
 * What a presented key is worth at `nowSeconds`. Accepts any non-empty key, not only `tp_…`
 * shapes, so an operator can register a chosen key (e.g. TUNEPLANE_API_KEY on the local stack).
 */
export async function checkApiKey(apiKeys: ApiKeyStore, key: string, nowSeconds: number): Promise<KeyCheck> {
  if (!key || key.length > 512) return { ok: false, reason: 'unknown' };
  const record = await apiKeys.getByHash(hashApiKey(key));
  if (!record || !verifyApiKey(key, record.keyHash)) return { ok: false, reason: 'unknown' };
  if (record.revokedAt !== undefined) return { ok: false, reason: 'revoked' };
  if (record.expiresAt !== undefined && record.expiresAt <= nowSeconds)
    return { ok: false, reason: 'expired' };
  return { ok: true, record };
}

/** The key's record when it authenticates now (known, not revoked, not expired); undefined otherwise. */
export async function authenticateApiKey(
  apiKeys: ApiKeyStore,
  key: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<ApiKeyRecord | undefined> {
  const check = await checkApiKey(apiKeys, key, nowSeconds);
  return check.ok ? check.record : undefined;
}
