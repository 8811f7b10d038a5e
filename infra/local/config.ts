/**
 * The embedded stack's configuration: parsed once from the environment at `npm start`
 * (COMMON.md names). Nothing else on the local stack reads process.env.
 */
import path from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65_535);

export const LocalConfigSchema = z.object({
  /** The API's port on loopback. */
  PORT: port.default(8787),
  /** Where dynalite and s3rver keep their data; survives restarts. */
  TUNEPLANE_DATA_DIR: z.string().min(1).default('./.data'),
  /** Register and use this API key instead of generating one. */
  TUNEPLANE_API_KEY: z.string().min(8, 'TUNEPLANE_API_KEY must be at least 8 characters').max(512).optional(),
  TUNEPLANE_TABLE: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'TUNEPLANE_TABLE must be a valid DynamoDB table name').default('tuneplane'),
  TUNEPLANE_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'TUNEPLANE_BUCKET must be a valid S3 bucket name')
    .default('tuneplane'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Interface the API listens on; loopback unless you mean to expose it. */
  TUNEPLANE_HOST: z.string().min(1).default('127.0.0.1'),
  /** Where built-in base models are read from (one HF-layout folder per model). */
  TUNEPLANE_BASE_MODELS_DIR: z.string().min(1).default('runner/base-models'),
});

export interface LocalConfig {
  port: number;
  host: string;
  dataDir: string;
  apiKey?: string;
  table: string;
  bucket: string;
  region: string;
  baseModelsDir: string;
}

/** Throws an Error naming every bad variable and its rule. */
export function parseLocalConfig(env: Record<string, string | undefined>): LocalConfig {
  // An empty variable (`TUNEPLANE_API_KEY= npm start`) means unset, as shells usually intend.
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const res = LocalConfigSchema.safeParse(set);
  if (!res.success) {
    const lines = res.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = res.data;
  return {
    port: c.PORT,
    host: c.TUNEPLANE_HOST,
    dataDir: path.resolve(c.TUNEPLANE_DATA_DIR),
    apiKey: c.TUNEPLANE_API_KEY,
    table: c.TUNEPLANE_TABLE,
    bucket: c.TUNEPLANE_BUCKET,
    region: c.AWS_REGION,
    baseModelsDir: path.resolve(c.TUNEPLANE_BASE_MODELS_DIR),
  };
}
