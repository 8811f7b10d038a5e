/**
 * Endpoint secrets are needed in plain form to sign, so they cannot be hashed; they are sealed with
 * AES-256-GCM under a master key the composition root supplies (Secrets Manager on AWS, a key in the
 * data directory on the embedded stack), so a table dump alone does not reveal them.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretBox } from '../../ports/webhooks';

const VERSION = 'v1';

/** `key` is 32 bytes (e.g. base64-decoded from the configured master secret). */
export function aesGcmSecretBox(key: Uint8Array): SecretBox {
  if (key.length !== 32) throw new Error('the webhook master key must be 32 bytes');
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64'), tag.toString('base64'), data.toString('base64')].join('.');
    },
    open(sealed) {
      const [version, iv, tag, data] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || data === undefined)
        throw new Error('unrecognised sealed secret');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
    },
  };
}
