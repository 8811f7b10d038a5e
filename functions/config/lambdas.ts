/**
 * One schema per Lambda: exactly the variables its composition root needs, the names the stack
 * sets (infra/aws/constructs; docs/ARCHITECTURE.md, "Storage: table, bucket, environment").
 * test/infra checks the synthesized template's environments against these schemas.
 */
import * as z from 'zod/mini';
import {
  Bytes,
  BucketName,
  Endpoint,
  Flag,
  JobDefinitionArn,
  JobQueueArn,
  Region,
  SecretArn,
  TableName,
} from './fields';
import { parseEnv, type Env } from './parse';

/** The variable groups several Lambdas share, each with the config it becomes below. */
const storageEnv = {
  TUNEPLANE_TABLE: TableName,
  AWS_REGION: Region,
  TUNEPLANE_DYNAMODB_ENDPOINT: Endpoint,
};
const blobEnv = { TUNEPLANE_BUCKET: BucketName, TUNEPLANE_S3_ENDPOINT: Endpoint };
const batchEnv = { TUNEPLANE_BATCH_JOB_QUEUE: JobQueueArn, TUNEPLANE_BATCH_JOB_DEFINITION: JobDefinitionArn };

export const ApiEnvSchema = z.object({
  ...storageEnv,
  ...blobEnv,
  ...batchEnv,
  TUNEPLANE_OPENAI_SECRET_ARN: SecretArn,
  TUNEPLANE_WEBHOOK_SECRET_ARN: SecretArn,
});

export const BatchEventsEnvSchema = z.object({ ...storageEnv });

export const ReconcilerEnvSchema = z.object({
  ...storageEnv,
  ...blobEnv,
  ...batchEnv,
  TUNEPLANE_OPENAI_SECRET_ARN: SecretArn,
});

export const WebhookDeliveryEnvSchema = z.object({
  ...storageEnv,
  TUNEPLANE_WEBHOOK_SECRET_ARN: SecretArn,
  TUNEPLANE_WEBHOOKS_ALLOW_LOOPBACK: Flag,
});

/**
 * The inference Lambda (runner/entry/inference-lambda.ts): the table for API keys and model
 * records, the bucket for weights, and its budgets, which the stack derives from the function's
 * memory and ephemeral storage (infra/aws/constructs/inference.ts).
 */
export const InferenceEnvSchema = z.object({
  ...storageEnv,
  ...blobEnv,
  /** Bytes of weights (as stored) kept loaded in memory. */
  TUNEPLANE_INFERENCE_MODEL_BUDGET: Bytes,
  /** Bytes of KV cache one request may use. */
  TUNEPLANE_INFERENCE_REQUEST_BUDGET: Bytes,
  /** Bytes of model files kept in /tmp between invocations. */
  TUNEPLANE_INFERENCE_DISK_BUDGET: Bytes,
  /** Where they are kept; /tmp/tuneplane-models unless set (tests give each run its own). */
  TUNEPLANE_INFERENCE_CACHE_DIR: z.optional(z.string().check(z.minLength(1))),
});

/** Where the table is (and the bucket, for those that use it), in the shape the AWS adapters take. */
export interface StorageConfig {
  region: string;
  tableName: string;
  dynamodbEndpoint?: string;
}
export interface BlobConfig {
  bucketName: string;
  s3Endpoint?: string;
}
export interface BatchConfig {
  jobQueue: string;
  jobDefinition: string;
}

export interface ApiLambdaConfig extends StorageConfig, BlobConfig {
  batch: BatchConfig;
  openAiSecretArn: string;
  webhookSecretArn: string;
}
export type BatchEventsLambdaConfig = StorageConfig;
export interface ReconcilerLambdaConfig extends StorageConfig, BlobConfig {
  batch: BatchConfig;
  openAiSecretArn: string;
}
export interface WebhookDeliveryLambdaConfig extends StorageConfig {
  webhookSecretArn: string;
  allowLoopback: boolean;
}

export interface InferenceLambdaConfig extends StorageConfig, BlobConfig {
  modelBudgetBytes: number;
  requestBudgetBytes: number;
  diskBudgetBytes: number;
  cacheDir: string;
}

type Parsed<Shape extends z.core.$ZodLooseShape> = z.output<z.ZodMiniObject<Shape>>;

const storageOf = (e: Parsed<typeof storageEnv>): StorageConfig => ({
  region: e.AWS_REGION,
  tableName: e.TUNEPLANE_TABLE,
  dynamodbEndpoint: e.TUNEPLANE_DYNAMODB_ENDPOINT,
});
const blobsOf = (e: Parsed<typeof blobEnv>): BlobConfig => ({
  bucketName: e.TUNEPLANE_BUCKET,
  s3Endpoint: e.TUNEPLANE_S3_ENDPOINT,
});
const batchOf = (e: Parsed<typeof batchEnv>): BatchConfig => ({
  jobQueue: e.TUNEPLANE_BATCH_JOB_QUEUE,
  jobDefinition: e.TUNEPLANE_BATCH_JOB_DEFINITION,
});

export function loadApiConfig(env: Env): ApiLambdaConfig {
  const e = parseEnv('the api Lambda', ApiEnvSchema, env);
  return {
    ...storageOf(e),
    ...blobsOf(e),
    batch: batchOf(e),
    openAiSecretArn: e.TUNEPLANE_OPENAI_SECRET_ARN,
    webhookSecretArn: e.TUNEPLANE_WEBHOOK_SECRET_ARN,
  };
}

export function loadBatchEventsConfig(env: Env): BatchEventsLambdaConfig {
  return storageOf(parseEnv('the batch-events Lambda', BatchEventsEnvSchema, env));
}

export function loadReconcilerConfig(env: Env): ReconcilerLambdaConfig {
  const e = parseEnv('the reconciler Lambda', ReconcilerEnvSchema, env);
  return {
    ...storageOf(e),
    ...blobsOf(e),
    batch: batchOf(e),
    openAiSecretArn: e.TUNEPLANE_OPENAI_SECRET_ARN,
  };
}

export function loadWebhookDeliveryConfig(env: Env): WebhookDeliveryLambdaConfig {
  const e = parseEnv('the webhook-delivery Lambda', WebhookDeliveryEnvSchema, env);
  return {
    ...storageOf(e),
    webhookSecretArn: e.TUNEPLANE_WEBHOOK_SECRET_ARN,
    allowLoopback: e.TUNEPLANE_WEBHOOKS_ALLOW_LOOPBACK,
  };
}

export function loadInferenceConfig(env: Env): InferenceLambdaConfig {
  const e = parseEnv('the inference Lambda', InferenceEnvSchema, env);
  return {
    ...storageOf(e),
    ...blobsOf(e),
    modelBudgetBytes: e.TUNEPLANE_INFERENCE_MODEL_BUDGET,
    requestBudgetBytes: e.TUNEPLANE_INFERENCE_REQUEST_BUDGET,
    diskBudgetBytes: e.TUNEPLANE_INFERENCE_DISK_BUDGET,
    cacheDir: e.TUNEPLANE_INFERENCE_CACHE_DIR ?? '/tmp/tuneplane-models',
  };
}

/** The schema of each Lambda by handler name (what test/infra checks the template against). */
export const LAMBDA_ENV_SCHEMAS = {
  api: ApiEnvSchema,
  'batch-events': BatchEventsEnvSchema,
  reconciler: ReconcilerEnvSchema,
  'webhook-delivery': WebhookDeliveryEnvSchema,
  inference: InferenceEnvSchema,
} as const;
