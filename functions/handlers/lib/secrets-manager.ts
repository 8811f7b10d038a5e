/** Secrets Manager behind the one-call `SecretReader` the config module caches (functions/config/secrets.ts). */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretReader } from '../../config';

export function secretsManagerReader(region: string): SecretReader {
  let client: SecretsManagerClient | undefined;
  return {
    async getSecretString(secretArn) {
      client ??= new SecretsManagerClient({ region });
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
      if (out.SecretString === undefined) throw new Error(`secret ${secretArn} has no string value`);
      return out.SecretString;
    },
  };
}
