/**
 * The webhook endpoints' SecretBox for the Lambdas. The box is synchronous (the app seals a new
 * endpoint's secret inside a request) but its master key lives in Secrets Manager, so the handler
 * calls `load()` before a request that may need it; the key is fetched on first need and cached
 * (functions/config/secrets.ts), so requests that never touch webhook endpoints never fetch it.
 */
import type { SecretSource } from '../../config';
import { aesGcmSecretBox } from '../../domain/webhooks/secret-box';
import type { SecretBox } from '../../ports/webhooks';

export interface LoadableSecretBox extends SecretBox {
  load(): Promise<void>;
}

export function loadableSecretBox(masterKey: SecretSource<Uint8Array>): LoadableSecretBox {
  let current: { key: Uint8Array; box: SecretBox } | undefined;
  const box = (): SecretBox => {
    if (!current) throw new Error('webhook master key used before load()');
    return current.box;
  };
  return {
    async load() {
      const key = await masterKey();
      if (current?.key !== key) current = { key, box: aesGcmSecretBox(key) };
    },
    seal: (plain) => box().seal(plain),
    open: (sealed) => box().open(sealed),
  };
}
