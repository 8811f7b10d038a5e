/**
 * The embedded stack's configuration: parsed once from the environment at `npm start` (the names:
 * docs/ARCHITECTURE.md, "Storage: table, bucket, environment"). Nothing else on the local stack
 * reads process.env.
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
  TUNEPLANE_TABLE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'TUNEPLANE_TABLE must be a valid DynamoDB table name')
    .default('tuneplane'),
  TUNEPLANE_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'TUNEPLANE_BUCKET must be a valid S3 bucket name')
    .default('tuneplane'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Interface the API listens on; loopback unless you mean to expose it. */
  TUNEPLANE_HOST: z.string().min(1).default('127.0.0.1'),
  /** Where built-in base models are read from (one HF-layout folder per model). */
  TUNEPLANE_BASE_MODELS_DIR: z.string().min(1).default('runner/base-models'),
  /** Local jobs that train at once (each is a runner process using the CPU). */
  TUNEPLANE_MAX_CONCURRENT_JOBS: z.coerce.number().int().min(1).max(64).default(1),
  /** Webhooks to loopback addresses (a receiver on this machine); refused unless set to true. */
  TUNEPLANE_WEBHOOKS_ALLOW_LOOPBACK: z.enum(['true', 'false']).default('false'),
  /** Multiplies the webhook retry schedule (1 = Standard Webhooks' 5 s … 10 h; tests use less). */
  TUNEPLANE_WEBHOOK_RETRY_SCALE: z.coerce.number().positive().max(1).default(1),
  /** Print each runner's output with its job id. */
  TUNEPLANE_RUNNER_LOGS: z.enum(['true', 'false']).default('false'),
  /** Enables `provider: openai`: jobs are created at OpenAI and mirrored back. */
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
  /** The secret of our endpoint registered at OpenAI; enables POST /v1/providers/openai/webhook. */
  OPENAI_WEBHOOK_SECRET: z
    .string()
    .startsWith('whsec_', 'OPENAI_WEBHOOK_SECRET must start with whsec_')
    .optional(),
  TUNEPLANE_OPENAI_POLL_MS: z.coerce.number().int().min(100).default(30_000),
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
  maxConcurrentJobs: number;
  webhooksAllowLoopback: boolean;
  webhookRetryScale: number;
  runnerLogs: boolean;
  openai?: { apiKey: string; baseUrl?: string; webhookSecret?: string; pollIntervalMs: number };
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
    maxConcurrentJobs: c.TUNEPLANE_MAX_CONCURRENT_JOBS,
    webhooksAllowLoopback: c.TUNEPLANE_WEBHOOKS_ALLOW_LOOPBACK === 'true',
    webhookRetryScale: c.TUNEPLANE_WEBHOOK_RETRY_SCALE,
    runnerLogs: c.TUNEPLANE_RUNNER_LOGS === 'true',
    openai: c.OPENAI_API_KEY
      ? {
          apiKey: c.OPENAI_API_KEY,
          baseUrl: c.OPENAI_BASE_URL,
          webhookSecret: c.OPENAI_WEBHOOK_SECRET,
          pollIntervalMs: c.TUNEPLANE_OPENAI_POLL_MS,
        }
      : undefined,
  };
}
