/**
 * Secrets Manager behind the one-call `SecretReader` the config module caches
 * (functions/config/secrets.ts). The client is imported on first use: most cold starts never read
 * a secret, so they need not load its SDK client (a separate chunk, infra/aws/bundling.ts).
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretReader } from '../../config';

export function secretsManagerReader(region: string): SecretReader {
  let client:
    | Promise<{ client: SecretsManagerClient; sdk: typeof import('@aws-sdk/client-secrets-manager') }>
    | undefined;
  return {
    async getSecretString(secretArn) {
      client ??= import('@aws-sdk/client-secrets-manager').then((sdk) => ({
        client: new sdk.SecretsManagerClient({ region }),
        sdk,
      }));
      const { client: c, sdk } = await client;
      const out = await c.send(new sdk.GetSecretValueCommand({ SecretId: secretArn }));
      if (out.SecretString === undefined) throw new Error(`secret ${secretArn} has no string value`);
      return out.SecretString;
    },
  };
}
