/**
 * The inference worker: a child process of the embedded stack's API (functions/adapters/local/
 * inference.ts starts it by path, as the local dispatcher starts job.ts) that serves generation jobs
 * over Node's IPC channel, so decoding never blocks the API's event loop. Models come from the blob
 * store (s3rver here, S3 on AWS) into runner/serve's memory-bounded LRU; requests from all clients
 * share one fair scheduler. Configuration: the environment, parsed once here.
 *
 * Messages in:  {type:'run', id, job} · {type:'abort', id}
 * Messages out: {type:'ready'} · {type:'event', id, event} · {type:'end', id, failure?}
 */
import { z } from 'zod';
import type { GenerationFailure, GenerationJob, GenerationStreamEvent } from '../../openapi/inference';
import { createAwsClients } from '../../functions/adapters/aws-clients';
import { S3BlobStore } from '../../functions/adapters/s3';
import { BackendChoiceSchema, initBackend } from '../backend';
import { InferenceServer, failureOf } from '../serve';

export const ServeEnvSchema = z.object({
  TUNEPLANE_BUCKET: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  TUNEPLANE_S3_ENDPOINT: z.url().optional(),
  TUNEPLANE_BACKEND: BackendChoiceSchema.default('auto'),
  /** Bytes of model weights kept loaded (least recently used models go first). */
  TUNEPLANE_INFERENCE_MODEL_BUDGET: z.coerce
    .number()
    .int()
    .positive()
    .default(2 * 2 ** 30),
  /** Bytes of KV cache one request may use. */
  TUNEPLANE_INFERENCE_REQUEST_BUDGET: z.coerce
    .number()
    .int()
    .positive()
    .default(512 * 2 ** 20),
  /** Requests decoding at once; the rest queue, tenants taking turns. */
  TUNEPLANE_INFERENCE_MAX_ACTIVE: z.coerce.number().int().min(1).max(256).default(8),
});

export type ServeMessage = { type: 'run'; id: string; job: GenerationJob } | { type: 'abort'; id: string };
export type ServeReply =
  | { type: 'ready' }
  | { type: 'event'; id: string; event: GenerationStreamEvent }
  | { type: 'end'; id: string; failure?: GenerationFailure };

export async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const parsed = ServeEnvSchema.safeParse(env);
  if (!parsed.success) {
    process.stderr.write(
      `invalid inference worker environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`,
    );
    process.exit(1);
  }
  const cfg = parsed.data;
  const send = (m: ServeReply) => process.send?.(m);
  const clients = createAwsClients({ region: cfg.AWS_REGION, s3Endpoint: cfg.TUNEPLANE_S3_ENDPOINT });
  await initBackend({ prefer: cfg.TUNEPLANE_BACKEND, log: (line) => process.stderr.write(`${line}\n`) });
  const server = new InferenceServer(new S3BlobStore(clients.s3, cfg.TUNEPLANE_BUCKET), {
    modelBudgetBytes: cfg.TUNEPLANE_INFERENCE_MODEL_BUDGET,
    requestBudgetBytes: cfg.TUNEPLANE_INFERENCE_REQUEST_BUDGET,
    maxActive: cfg.TUNEPLANE_INFERENCE_MAX_ACTIVE,
  });
  const running = new Map<string, AbortController>();
  process.on('message', (m: ServeMessage) => {
    if (m.type === 'abort') {
      running.get(m.id)?.abort();
      return;
    }
    const controller = new AbortController();
    running.set(m.id, controller);
    server
      .run(m.job, (event) => send({ type: 'event', id: m.id, event }), controller.signal)
      .then(
        () => send({ type: 'end', id: m.id }),
        (err: unknown) => send({ type: 'end', id: m.id, failure: failureOf(err) }),
      )
      .finally(() => running.delete(m.id));
  });
  // The API went away: nothing is left to serve.
  process.on('disconnect', () => {
    clients.destroy();
    process.exit(0);
  });
  send({ type: 'ready' });
}

if (process.argv[1]?.endsWith('runner/entry/serve.ts') || process.argv[1]?.endsWith('serve.js')) {
  main(process.env).catch((err: unknown) => {
    process.stderr.write(`${JSON.stringify({ level: 'error', msg: (err as Error).message })}\n`);
    process.exit(1);
  });
}
