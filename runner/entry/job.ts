/**
 * The runner container's entry point (AWS Batch, and the local dispatcher's child process).
 * Configuration comes from the environment, parsed once here with zod; everything else goes
 * through the store and blob ports (DynamoDB and S3 adapters, pointed at dynalite/s3rver on the
 * embedded stack). Exit codes: RUNNER_EXIT (openapi/runner.ts), as run-job.ts explains.
 */
import { z } from 'zod';
import { RUNNER_EXIT } from '../../openapi/runner';
import { createDynamoStores } from '../../functions/adapters/dynamodb';
import { createAwsClients } from '../../functions/adapters/aws-clients';
import { S3BlobStore } from '../../functions/adapters/s3';
import { timeSortedIds } from '../../functions/domain/ids';
import { systemClock } from '../../functions/ports/clock';
import { BackendChoiceSchema, initBackend } from '../backend';
import { onTerminate } from '../checkpoint';
import { runJob } from './run-job';

export const RunnerEnvSchema = z.object({
  TUNEPLANE_JOB_ID: z.string().regex(/^ftjob-/, 'must be a fine-tuning job id (ftjob-…)'),
  TUNEPLANE_TABLE: z.string().min(1),
  TUNEPLANE_BUCKET: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  TUNEPLANE_DYNAMODB_ENDPOINT: z.url().optional(),
  TUNEPLANE_S3_ENDPOINT: z.url().optional(),
  /** Optional: bytes the `batch_size: auto` probe may use (default: a quarter of free memory). */
  TUNEPLANE_RUNNER_MEMORY_BUDGET: z.coerce.number().int().positive().optional(),
  /** Forces a tensorflow backend (gpu, webgpu, node, cpu); auto picks the fastest available (runner/backend.ts). */
  TUNEPLANE_BACKEND: BackendChoiceSchema.default('auto'),
  /** `off`: the pure-JS cpu kernels even where runner/native's OpenBLAS kernels load. */
  TUNEPLANE_NATIVE: z.enum(['on', 'off']).default('on'),
});

export async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = RunnerEnvSchema.safeParse(env);
  if (!parsed.success) {
    process.stderr.write(
      `invalid runner environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`,
    );
    return RUNNER_EXIT.failed;
  }
  const cfg = parsed.data;
  const stop = onTerminate();
  const clients = createAwsClients({
    region: cfg.AWS_REGION,
    dynamodbEndpoint: cfg.TUNEPLANE_DYNAMODB_ENDPOINT,
    s3Endpoint: cfg.TUNEPLANE_S3_ENDPOINT,
  });
  try {
    await initBackend({ prefer: cfg.TUNEPLANE_BACKEND, nativeKernels: cfg.TUNEPLANE_NATIVE });
    return await runJob(
      {
        stores: createDynamoStores(clients.doc, cfg.TUNEPLANE_TABLE),
        blobs: new S3BlobStore(clients.s3, cfg.TUNEPLANE_BUCKET),
        clock: systemClock,
        ids: timeSortedIds(systemClock),
      },
      cfg.TUNEPLANE_JOB_ID,
      { shouldStop: () => stop.requested, memoryBudgetBytes: cfg.TUNEPLANE_RUNNER_MEMORY_BUDGET },
    );
  } catch (err) {
    process.stderr.write(
      `${JSON.stringify({ level: 'error', msg: (err as Error).message, stack: (err as Error).stack })}\n`,
    );
    return RUNNER_EXIT.failed;
  } finally {
    stop.release();
    clients.destroy();
  }
}

if (
  process.argv[1]?.endsWith('runner/entry/job.ts') ||
  process.argv[1]?.endsWith('job.js') ||
  process.argv[1]?.endsWith('job.mjs')
) {
  main(process.env).then((code) => process.exit(code));
}
