/**
 * Secrets are read from Secrets Manager on first use and cached for a while, never put in the
 * environment: a cold start that never needs the OpenAI key never fetches it, and a value the
 * operator changes (put-secret-value) is picked up within `ttlMs` without a redeploy.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';

/** The one call we need from Secrets Manager (the SDK client is adapted to it in the handler). */
export interface SecretReader {
  getSecretString(secretArn: string): Promise<string>;
}

export type SecretSource<T> = () => Promise<T>;

export function cachedSecret<T>(
  reader: SecretReader,
  secretArn: string,
  decode: (raw: string) => T,
  opts: { ttlMs?: number; nowMs?: () => number } = {},
): SecretSource<T> {
  const ttlMs = opts.ttlMs ?? 5 * 60_000;
  const now = opts.nowMs ?? Date.now;
  let cached: { value: T; at: number } | undefined;
  let inflight: Promise<T> | undefined;
  return async () => {
    if (cached && now() - cached.at < ttlMs) return cached.value;
    // Concurrent first uses share one request.
    inflight ??= reader
      .getSecretString(secretArn)
      .then((raw) => {
        const value = decode(raw);
        cached = { value, at: now() };
        return value;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
}

/**
 * The OpenAI secret's JSON. The stack creates it as `{"apiKey":""}`: an empty key means "OpenAI not
 * configured", which callers report as such instead of sending an empty key to OpenAI.
 */
export const OpenAiSecretSchema = z.object({
  apiKey: z.pipe(
    z.string({ error: 'must be a string' }),
    z.transform((k) => k.trim() || undefined),
  ),
  /** Verifies OpenAI's webhooks to POST /v1/providers/openai/webhook. */
  webhookSecret: z.pipe(
    z.optional(z.string({ error: 'must be a string' })),
    z.transform((k) => k?.trim() || undefined),
  ),
});
export type OpenAiSecret = z.output<typeof OpenAiSecretSchema>;

export function decodeOpenAiSecret(raw: string): OpenAiSecret {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('the OpenAI secret must be JSON: {"apiKey":"sk-...","webhookSecret":"whsec_..."}');
  }
  const parsed = z.safeParse(OpenAiSecretSchema, json);
  if (!parsed.success) {
    throw new Error(
      'the OpenAI secret must be JSON {"apiKey":"sk-...","webhookSecret":"whsec_..."}: ' +
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  return parsed.data;
}

/**
 * The 32-byte master key that seals webhook endpoint secrets (AES-256-GCM): SHA-256 of the
 * generated secret string (64 random letters and digits, ~380 bits, so hashing loses nothing).
 */
export function decodeWebhookMasterKey(raw: string): Uint8Array {
  if (raw.trim().length < 32) throw new Error('the webhook signing secret must hold at least 32 characters');
  return new Uint8Array(createHash('sha256').update(raw, 'utf8').digest());
}
