/**
 * The runner container's entry for eval runs (AWS Batch: the same image as training, command
 * `dist/eval-run.mjs`). It executes one run (functions/domain/evals/runs) against the store and
 * bucket the API uses; configuration comes from the environment, parsed once here.
 *
 * Exit codes (openapi/runner.ts): 0 the run reached a final status (completed, failed, canceled);
 * 75 stopped by SIGTERM (a Spot reclaim) or the run is held by another executor — a retry resumes
 * it where it stopped, grading no row twice; 1 a crash that left no status behind.
 */
import OpenAI from 'openai';
import { z } from 'zod';
import { RUNNER_EXIT } from '../../openapi/runner';
import { DynamoEvalStore, createDynamoStores } from '../../functions/adapters/dynamodb';
import { createAwsClients } from '../../functions/adapters/aws-clients';
import { firstServing, openAiSampler } from '../../functions/adapters/openai/sampler';
import { S3BlobStore } from '../../functions/adapters/s3';
import { executeRun } from '../../functions/domain/evals/runs';
import { systemClock } from '../../functions/ports/clock';

export const EvalRunEnvSchema = z.object({
  TUNEPLANE_EVAL_RUN_ID: z.string().regex(/^evalrun_/, 'must be an eval run id (evalrun_…)'),
  TUNEPLANE_TABLE: z.string().min(1),
  TUNEPLANE_BUCKET: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  TUNEPLANE_DYNAMODB_ENDPOINT: z.url().optional(),
  TUNEPLANE_S3_ENDPOINT: z.url().optional(),
  /** Calls OpenAI's models (sampled models, judges) when set. */
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
  /** How long this executor holds the run between progress writes before another may take it (ms). */
  TUNEPLANE_EVAL_LEASE_MS: z.coerce.number().int().min(100).default(60_000),
  /** Identifies this executor in the run's lease (Batch sets AWS_BATCH_JOB_ID). */
  AWS_BATCH_JOB_ID: z.string().optional(),
});

export async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = EvalRunEnvSchema.safeParse(env);
  if (!parsed.success) {
    process.stderr.write(
      `invalid eval runner environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`,
    );
    return RUNNER_EXIT.failed;
  }
  const cfg = parsed.data;
  const clients = createAwsClients({
    region: cfg.AWS_REGION,
    dynamodbEndpoint: cfg.TUNEPLANE_DYNAMODB_ENDPOINT,
    s3Endpoint: cfg.TUNEPLANE_S3_ENDPOINT,
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const sampler = firstServing(
      cfg.OPENAI_API_KEY
        ? openAiSampler(new OpenAI({ apiKey: cfg.OPENAI_API_KEY, baseURL: cfg.OPENAI_BASE_URL }))
        : undefined,
    );
    const stores = createDynamoStores(clients.doc, cfg.TUNEPLANE_TABLE);
    const outcome = await executeRun(
      {
        evals: new DynamoEvalStore({ doc: clients.doc, table: cfg.TUNEPLANE_TABLE, clock: systemClock }),
        stores,
        blobs: new S3BlobStore(clients.s3, cfg.TUNEPLANE_BUCKET),
        clock: systemClock,
        sampler,
        owner: cfg.AWS_BATCH_JOB_ID ? `batch-${cfg.AWS_BATCH_JOB_ID}` : undefined,
        settings: { leaseMs: cfg.TUNEPLANE_EVAL_LEASE_MS },
        log: (msg, detail) => process.stderr.write(`${JSON.stringify({ level: 'error', msg, ...detail })}\n`),
      },
      cfg.TUNEPLANE_EVAL_RUN_ID,
      { signal: stop.signal },
    );
    process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'eval run executor done', outcome })}\n`);
    if (outcome === 'missing') return RUNNER_EXIT.failed;
    return outcome === 'stopped' || outcome === 'busy' ? RUNNER_EXIT.retryable : RUNNER_EXIT.done;
  } catch (err) {
    process.stderr.write(
      `${JSON.stringify({ level: 'error', msg: (err as Error).message, stack: (err as Error).stack })}\n`,
    );
    return RUNNER_EXIT.failed;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    clients.destroy();
  }
}

if (process.argv[1]?.endsWith('runner/entry/eval-run.ts') || process.argv[1]?.endsWith('eval-run.mjs')) {
  main(process.env).then((code) => process.exit(code));
}
