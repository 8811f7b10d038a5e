import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadApiConfig,
  loadBatchEventsConfig,
  loadInferenceConfig,
  loadReconcilerConfig,
  loadWebhookDeliveryConfig,
} from '../../../../functions/config';

const QUEUE = 'arn:aws:batch:eu-west-1:123456789012:job-queue/TrainingQueue-abc';
const JOBDEF = 'arn:aws:batch:eu-west-1:123456789012:job-definition/RunnerJob-abc:3';
const OPENAI = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:OpenAi-AbCdEf';
const WEBHOOK = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:WebhookSigning-AbCdEf';

const apiEnv = {
  AWS_REGION: 'eu-west-1',
  TUNEPLANE_TABLE: 'Tuneplane-StorageTable-1A2B',
  TUNEPLANE_BUCKET: 'tuneplane-storagebucket-1a2b',
  TUNEPLANE_BATCH_JOB_QUEUE: QUEUE,
  TUNEPLANE_BATCH_JOB_DEFINITION: JOBDEF,
  TUNEPLANE_OPENAI_SECRET_ARN: OPENAI,
  TUNEPLANE_WEBHOOK_SECRET_ARN: WEBHOOK,
  NODE_OPTIONS: '--enable-source-maps',
};

function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadApiConfig', () => {
  it('turns the stack-set environment into typed config', () => {
    expect(loadApiConfig(apiEnv)).toEqual({
      region: 'eu-west-1',
      tableName: 'Tuneplane-StorageTable-1A2B',
      dynamodbEndpoint: undefined,
      bucketName: 'tuneplane-storagebucket-1a2b',
      s3Endpoint: undefined,
      batch: { jobQueue: QUEUE, jobDefinition: JOBDEF },
      openAiSecretArn: OPENAI,
      webhookSecretArn: WEBHOOK,
    });
  });

  it('names every missing variable in one error', () => {
    const { TUNEPLANE_TABLE: _t, TUNEPLANE_OPENAI_SECRET_ARN: _o, ...rest } = apiEnv;
    const err = configError(() => loadApiConfig(rest));
    expect(err.issues.map((i) => i.variable).sort()).toEqual([
      'TUNEPLANE_OPENAI_SECRET_ARN',
      'TUNEPLANE_TABLE',
    ]);
    expect(err.message).toContain('the api Lambda');
    expect(err.message).toMatch(/TUNEPLANE_TABLE: required/);
  });

  it('rejects a name where an ARN is expected, saying which form it wants', () => {
    const err = configError(() => loadApiConfig({ ...apiEnv, TUNEPLANE_BATCH_JOB_QUEUE: 'TrainingQueue' }));
    expect(err.issues).toEqual([
      {
        variable: 'TUNEPLANE_BATCH_JOB_QUEUE',
        rule: expect.stringContaining('arn:aws:batch:<region>:<account>:job-queue/'),
      },
    ]);
  });

  it('rejects a secret ARN of another service and a bucket name S3 would refuse', () => {
    const err = configError(() =>
      loadApiConfig({ ...apiEnv, TUNEPLANE_OPENAI_SECRET_ARN: QUEUE, TUNEPLANE_BUCKET: 'Has_Upper' }),
    );
    expect(err.issues.map((i) => i.variable).sort()).toEqual([
      'TUNEPLANE_BUCKET',
      'TUNEPLANE_OPENAI_SECRET_ARN',
    ]);
  });

  it('takes the embedded stack endpoints when set, and insists they are URLs', () => {
    const cfg = loadApiConfig({
      ...apiEnv,
      TUNEPLANE_DYNAMODB_ENDPOINT: 'http://127.0.0.1:4567',
      TUNEPLANE_S3_ENDPOINT: 'http://127.0.0.1:4568',
    });
    expect(cfg.dynamodbEndpoint).toBe('http://127.0.0.1:4567');
    expect(cfg.s3Endpoint).toBe('http://127.0.0.1:4568');
    const err = configError(() => loadApiConfig({ ...apiEnv, TUNEPLANE_S3_ENDPOINT: 'localhost' }));
    expect(err.issues[0].variable).toBe('TUNEPLANE_S3_ENDPOINT');
  });

  it('reads the region the Lambda runtime sets and rejects a malformed one', () => {
    const err = configError(() => loadApiConfig({ ...apiEnv, AWS_REGION: 'Europe' }));
    expect(err.issues[0]).toMatchObject({
      variable: 'AWS_REGION',
      rule: expect.stringContaining('AWS region'),
    });
  });
});

describe('the other Lambdas', () => {
  it('batch-events needs only the table', () => {
    expect(loadBatchEventsConfig({ AWS_REGION: 'us-east-1', TUNEPLANE_TABLE: 'tbl-1' })).toEqual({
      region: 'us-east-1',
      tableName: 'tbl-1',
      dynamodbEndpoint: undefined,
    });
  });

  it('the reconciler needs the queue, the job definition and the OpenAI secret', () => {
    const err = configError(() =>
      loadReconcilerConfig({ AWS_REGION: 'us-east-1', TUNEPLANE_TABLE: 'tbl-1', TUNEPLANE_BUCKET: 'bkt-1' }),
    );
    expect(err.issues.map((i) => i.variable).sort()).toEqual([
      'TUNEPLANE_BATCH_JOB_DEFINITION',
      'TUNEPLANE_BATCH_JOB_QUEUE',
      'TUNEPLANE_OPENAI_SECRET_ARN',
    ]);
  });

  it('webhook delivery blocks loopback targets unless explicitly allowed, and rejects a vague flag', () => {
    const base = { AWS_REGION: 'us-east-1', TUNEPLANE_TABLE: 'tbl-1', TUNEPLANE_WEBHOOK_SECRET_ARN: WEBHOOK };
    expect(loadWebhookDeliveryConfig(base).allowLoopback).toBe(false);
    expect(
      loadWebhookDeliveryConfig({ ...base, TUNEPLANE_WEBHOOKS_ALLOW_LOOPBACK: 'true' }).allowLoopback,
    ).toBe(true);
    expect(loadWebhookDeliveryConfig({ ...base, TUNEPLANE_WEBHOOKS_ALLOW_LOOPBACK: '0' }).allowLoopback).toBe(
      false,
    );
    const err = configError(() =>
      loadWebhookDeliveryConfig({ ...base, TUNEPLANE_WEBHOOKS_ALLOW_LOOPBACK: 'yes' }),
    );
    expect(err.issues).toEqual([
      { variable: 'TUNEPLANE_WEBHOOKS_ALLOW_LOOPBACK', rule: 'must be true or false' },
    ]);
  });
});

describe('loadInferenceConfig', () => {
  const env = {
    AWS_REGION: 'eu-west-1',
    TUNEPLANE_TABLE: 'Tuneplane-StorageTable-1A2B',
    TUNEPLANE_BUCKET: 'tuneplane-storagebucket-1a2b',
    TUNEPLANE_INFERENCE_MODEL_BUDGET: String(2 ** 30),
    TUNEPLANE_INFERENCE_REQUEST_BUDGET: String(2 ** 28),
    TUNEPLANE_INFERENCE_DISK_BUDGET: String(3 * 2 ** 30),
  };

  it('reads the budgets in bytes and puts the model files under /tmp unless told otherwise', () => {
    expect(loadInferenceConfig(env)).toMatchObject({
      modelBudgetBytes: 2 ** 30,
      requestBudgetBytes: 2 ** 28,
      diskBudgetBytes: 3 * 2 ** 30,
      cacheDir: '/tmp/tuneplane-models',
    });
  });

  it('names a budget that is not a positive whole number of bytes', () => {
    const err = configError(() => loadInferenceConfig({ ...env, TUNEPLANE_INFERENCE_DISK_BUDGET: '3GB' }));
    expect(err.message).toContain('TUNEPLANE_INFERENCE_DISK_BUDGET');
    expect(err.message).toContain('positive whole number of bytes');
  });
});
