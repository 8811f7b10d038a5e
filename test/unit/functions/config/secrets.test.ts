import { describe, expect, it } from 'vitest';
import { aesGcmSecretBox } from '../../../../functions/domain/webhooks';
import {
  cachedSecret,
  decodeOpenAiSecret,
  decodeWebhookMasterKey,
  type SecretReader,
} from '../../../../functions/config';

function countingReader(values: string[]): SecretReader & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async getSecretString(arn) {
      calls.push(arn);
      return values[Math.min(calls.length - 1, values.length - 1)];
    },
  };
}

describe('cachedSecret', () => {
  it('fetches on first use, not before, and serves later uses from the cache', async () => {
    const reader = countingReader(['v1']);
    let now = 0;
    const secret = cachedSecret(reader, 'arn:s', (raw) => raw.toUpperCase(), {
      ttlMs: 1000,
      nowMs: () => now,
    });
    expect(reader.calls).toEqual([]);
    expect(await secret()).toBe('V1');
    now = 999;
    expect(await secret()).toBe('V1');
    expect(reader.calls).toEqual(['arn:s']);
  });

  it('re-reads after the TTL, so a value changed with put-secret-value is picked up without a redeploy', async () => {
    const reader = countingReader(['old', 'new']);
    let now = 0;
    const secret = cachedSecret(reader, 'arn:s', (raw) => raw, { ttlMs: 1000, nowMs: () => now });
    expect(await secret()).toBe('old');
    now = 1000;
    expect(await secret()).toBe('new');
  });

  it('shares one request among concurrent first uses', async () => {
    const reader = countingReader(['v']);
    const secret = cachedSecret(reader, 'arn:s', (raw) => raw);
    expect(await Promise.all([secret(), secret(), secret()])).toEqual(['v', 'v', 'v']);
    expect(reader.calls).toHaveLength(1);
  });

  it('does not cache a failure: the next use asks again', async () => {
    let fail = true;
    const reader: SecretReader = {
      async getSecretString() {
        if (fail) throw new Error('AccessDenied');
        return 'ok';
      },
    };
    const secret = cachedSecret(reader, 'arn:s', (raw) => raw);
    await expect(secret()).rejects.toThrow('AccessDenied');
    fail = false;
    expect(await secret()).toBe('ok');
  });
});

describe('decodeOpenAiSecret', () => {
  it('reads the key and the optional OpenAI webhook secret', () => {
    expect(decodeOpenAiSecret('{"apiKey":"sk-test","webhookSecret":"whsec_abc"}')).toEqual({
      apiKey: 'sk-test',
      webhookSecret: 'whsec_abc',
    });
  });

  it('treats the empty key the stack creates as "not configured"', () => {
    expect(decodeOpenAiSecret('{"apiKey":""}').apiKey).toBeUndefined();
  });

  it('explains the expected shape when the value is not JSON or lacks apiKey', () => {
    expect(() => decodeOpenAiSecret('sk-plain')).toThrow(/must be JSON/);
    expect(() => decodeOpenAiSecret('{"key":"sk"}')).toThrow(/apiKey/);
  });
});

describe('decodeWebhookMasterKey', () => {
  it('derives the same 32-byte key from the same secret, usable by the endpoint secret box', () => {
    const raw = 'a'.repeat(20) + 'B'.repeat(20) + '0123456789012345678901234';
    const k1 = decodeWebhookMasterKey(raw);
    const k2 = decodeWebhookMasterKey(raw);
    expect(k1).toHaveLength(32);
    expect(Buffer.from(k1).equals(Buffer.from(k2))).toBe(true);
    const sealed = aesGcmSecretBox(k1).seal('whsec_endpoint');
    expect(aesGcmSecretBox(k2).open(sealed)).toBe('whsec_endpoint');
    expect(() => aesGcmSecretBox(decodeWebhookMasterKey(raw + 'x')).open(sealed)).toThrow();
  });

  it('refuses material too short to be a key', () => {
    expect(() => decodeWebhookMasterKey('short')).toThrow(/at least 32/);
  });
});
