/**
 * The controller on the embedded DynamoDB (dynalite over HTTP) with a manual clock, a recording
 * dispatcher standing in for the provider, and a scripted "runner" that moves trial jobs the way the
 * real one does (running → metrics events at each evaluation → succeeded/failed) through the same
 * lifecycle functions.
 */
import type { SweepCreate } from '../../../../../../openapi/schemas/sweep-resource';
import { SweepCreateSchema } from '../../../../../../openapi/schemas/sweep-resource';
import { DynamoSweepStore } from '../../../../../../functions/adapters/dynamodb';
import { timeSortedIds } from '../../../../../../functions/domain/ids';
import { recordMetrics, transitionJob } from '../../../../../../functions/domain/lifecycle';
import type { BaseModelCatalog } from '../../../../../../functions/domain/models';
import type { JobRecord } from '../../../../../../functions/domain/records';
import type { ControllerDeps } from '../../../../../../functions/domain/sweeps/controller';
import type { Dispatcher } from '../../../../../../functions/ports/dispatcher';
import { startEmbedded, type Embedded } from '../../../../../support/embedded';
import { fileRecord, manualClock } from '../../../../../support/records';

export const TENANT = 'tenant-a';

export interface Harness {
  env: Embedded;
  clock: ReturnType<typeof manualClock>;
  deps(overrides?: Partial<ControllerDeps>): ControllerDeps;
  calls: { action: string; jobId: string }[];
  outboxed: number;
  request(over?: Partial<Record<keyof SweepCreate, unknown>>): SweepCreate;
  /** The runner's part: start the job, report evaluations (`values` at steps 10, 20, …), finish. */
  run(
    jobId: string,
    values: number[],
    end?: 'succeeded' | 'running' | { failed: string },
  ): Promise<JobRecord>;
  job(id: string): Promise<JobRecord>;
  stop(): Promise<void>;
}

const catalog: BaseModelCatalog = {
  async describe(_tenant, id) {
    if (id !== 'tiny-base') return undefined;
    return {
      id,
      contextLength: 128,
      defaultLearningRate: 1e-3,
      parameterCount: 100_000,
      hiddenSize: 64,
      layers: 2,
      source: 'test',
      learningRateSource: 'test',
    };
  },
};

export async function startHarness(): Promise<Harness> {
  const clock = manualClock();
  const env = await startEmbedded({ clock });
  await env.stores.files.put(
    fileRecord({
      id: 'file-train',
      format: 'classification',
      exampleCount: 200,
      tokenCount: 4000,
      labels: ['negative', 'positive'],
    }),
  );
  await env.stores.files.put(
    fileRecord({
      id: 'file-valid',
      format: 'classification',
      exampleCount: 50,
      tokenCount: 1000,
      labels: ['negative', 'positive'],
    }),
  );
  const sweeps = new DynamoSweepStore({ doc: env.clients.doc, table: env.config.table, clock });
  const ids = timeSortedIds(clock);
  const calls: Harness['calls'] = [];
  const dispatcher: Dispatcher = {
    async submit(job) {
      calls.push({ action: 'submit', jobId: job.id });
      return { providerJobId: `local:${job.id}` };
    },
    async cancel(job) {
      calls.push({ action: 'cancel', jobId: job.id });
    },
    async pause(job) {
      calls.push({ action: 'pause', jobId: job.id });
    },
    async resume(job) {
      calls.push({ action: 'resume', jobId: job.id });
    },
  };
  const h: Harness = {
    env,
    clock,
    calls,
    outboxed: 0,
    deps: (overrides = {}) => ({
      stores: env.stores,
      blobs: env.blobs,
      clock,
      ids,
      models: catalog,
      defaultProvider: 'local',
      dispatchers: { local: dispatcher },
      sweeps,
      onOutbox: () => void (h.outboxed += 1),
      ...overrides,
    }),
    request(over = {}) {
      return SweepCreateSchema.parse({
        base_job: {
          model: 'tiny-base',
          training_file: 'file-train',
          validation_file: 'file-valid',
          method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 3, batch_size: 8 } } },
        },
        search_space: { learning_rate: { type: 'float', low: 1e-4, high: 1e-1, scale: 'log' } },
        objective: { metric: 'valid_loss', goal: 'minimize' },
        strategy: { type: 'random', seed: 7 },
        limits: { max_trials: 4, max_parallel_trials: 2 },
        ...over,
      });
    },
    async run(jobId, values, end = 'succeeded') {
      const deps = { stores: env.stores, clock };
      const job = (await env.stores.jobs.getById(jobId))!;
      if (job.status === 'queued') await transitionJob(deps, jobId, 'running');
      const total = Math.max(30, values.length * 10);
      for (const [i, v] of values.entries()) {
        const step = (i + 1) * 10;
        clock.advance(1000);
        await recordMetrics(deps, job, {
          step,
          totalSteps: total,
          train_loss: v,
          valid_loss: v,
          full_valid_loss: v,
          epoch: 1,
        });
        const cur = (await env.stores.jobs.getById(jobId))!;
        if (cur.status !== 'running') return cur;
        await env.stores.jobs.update(
          jobId,
          { version: cur.version, status: 'running' },
          { progress: { step, totalSteps: total, epoch: 1 } },
        );
      }
      if (end === 'succeeded') {
        await transitionJob(deps, jobId, 'succeeded', {
          expectedStatus: 'running',
          patch: { fineTunedModel: `ft:tiny-base:${TENANT}::${jobId}` },
        });
      } else if (end !== 'running') {
        await transitionJob(deps, jobId, 'failed', {
          patch: { error: { code: end.failed, message: `failed: ${end.failed}`, param: null } },
        });
      }
      return (await env.stores.jobs.getById(jobId))!;
    },
    job: async (id) => (await env.stores.jobs.getById(id))!,
    stop: () => env.stop(),
  };
  return h;
}
