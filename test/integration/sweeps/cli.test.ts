/**
 * `tuneplane sweeps …` as a user runs it: a separate process talking HTTP (through the generated
 * SDK) to the API on loopback, with the embedded DynamoDB behind it. Trials are moved the way the
 * runner moves them (running → metrics events → succeeded) while the sweep controller runs passes,
 * so `follow` has a live sweep to show until it ends.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSweepStore } from '../../../functions/adapters/dynamodb';
import { recordMetrics, transitionJob } from '../../../functions/domain/lifecycle';
import { modelCatalog } from '../../../functions/domain/models';
import { advanceSweep, type ControllerDeps } from '../../../functions/domain/sweeps/controller';
import { systemClock } from '../../../functions/ports/clock';
import type { SweepStore } from '../../../functions/ports/sweeps';
import { classificationJsonl } from '../../api/data';
import { BASE_MODEL, startApi, type ApiHarness } from '../../api/support';
import { runCli } from '../../support/cli';

let api: ApiHarness;
let server: { baseUrl: string; close(): Promise<void> };
let baseUrl: string;
let dir: string;
let controller: ControllerDeps;
let real: SweepStore;
const store = new Proxy({} as SweepStore, {
  get:
    (_t, prop) =>
    (...args: unknown[]) =>
      (real[prop as keyof SweepStore] as (...a: unknown[]) => unknown).apply(real, args),
});

const cli = (args: string[]) => runCli(baseUrl, api.keyA, args);

beforeAll(async () => {
  api = await startApi({ sweeps: { store } });
  real = new DynamoSweepStore({ doc: api.env.clients.doc, table: api.env.config.table, clock: systemClock });
  controller = {
    ...api.deps,
    models: modelCatalog({ models: api.deps.stores.models, blobs: api.deps.blobs }),
    defaultProvider: 'local',
    sweeps: real,
  };
  server = await api.listen();
  baseUrl = `${server.baseUrl}/v1`;
  dir = await mkdtemp(path.join(tmpdir(), 'tp-sweep-cli-'));
}, 60_000);
afterAll(async () => {
  await server?.close();
  await api?.stop();
});

/** The runner's part for every trial that waits: evaluations at steps 5 and 10, then success. */
async function runWaitingTrials(sweepId: string): Promise<void> {
  const deps = { stores: api.env.stores, clock: systemClock };
  for (const t of await real.listTrials(sweepId)) {
    if (t.state !== 'pending') continue;
    const job = (await api.env.stores.jobs.getById(t.jobId))!;
    const lr = Number(t.params.learning_rate);
    await transitionJob(deps, job.id, 'running');
    for (const step of [5, 10]) {
      const loss = Math.abs(Math.log10(lr) + 3) + 1 / step;
      await recordMetrics(deps, job, {
        step,
        totalSteps: 10,
        train_loss: loss,
        valid_loss: loss,
        full_valid_loss: loss,
      });
    }
    await transitionJob(deps, job.id, 'succeeded', {
      patch: { fineTunedModel: `ft:${BASE_MODEL}:tenant-a::${job.id}` },
    });
  }
}

describe('tuneplane sweeps', () => {
  it('creates a sweep from a JSON file, lists and gets it, and follows a live table of its trials until it ends', async () => {
    const upload = async (content: string) => (await (await api.upload(content)).json()).id as string;
    const training = await upload(classificationJsonl(40));
    const validation = await upload(classificationJsonl(10, 40));
    const config = path.join(dir, 'sweep.json');
    await writeFile(
      config,
      JSON.stringify({
        base_job: {
          model: BASE_MODEL,
          method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 1 } } },
        },
        search_space: {
          learning_rate: { type: 'float', low: 1e-5, high: 1e-1, scale: 'log' },
          batch_size: { type: 'categorical', choices: [4, 8] },
        },
        objective: { metric: 'valid_loss', goal: 'minimize' },
        strategy: { type: 'random', seed: 1 },
        limits: { max_trials: 3, max_parallel_trials: 2 },
      }),
    );
    const created = await cli([
      'sweeps',
      'create',
      '--config',
      `@${config}`,
      '--training-file',
      training,
      '--validation-file',
      validation,
    ]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const sweep = JSON.parse(created.stdout);
    expect(sweep).toMatchObject({
      object: 'fine_tuning.sweep',
      status: 'running',
      base_job: { training_file: training, validation_file: validation },
    });

    const listed = await cli(['sweeps', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`${sweep.id}\\s+running\\s+0/3\\s+minimize valid_loss`));

    // The controller and "runner" work while the CLI follows.
    const follow = cli(['sweeps', 'follow', sweep.id, '--interval', '200']);
    for (let i = 0; i < 6; i++) {
      await advanceSweep(controller, sweep.id);
      await new Promise((r) => setTimeout(r, 400));
      await runWaitingTrials(sweep.id);
    }
    await advanceSweep(controller, sweep.id);
    const out = await follow;
    expect(out.code).toBe(0);
    const last = out.stdout.trim().split('\n\n').at(-1)!;
    expect(last).toMatch(new RegExp(`^${sweep.id}  succeeded \\(max_trials\\)  trials 3/3`));
    const rows = last.split('\n').slice(2);
    expect(rows).toHaveLength(3);
    expect(last.split('\n')[1]).toMatch(
      /^#\s+state\s+learning_rate\s+batch_size\s+valid_loss\s+evals\s+job$/,
    );
    for (const row of rows) expect(row).toMatch(/^[ *]\d\s+complete\s+\S+\s+(4|8)\s+\S+\s+2\s+ftjob-/);
    expect(rows.filter((r) => r.startsWith('*'))).toHaveLength(1);
    expect(out.stdout.split('\n\n').length).toBeGreaterThan(1); // it showed the sweep while it ran, not only at the end

    const got = JSON.parse((await cli(['sweeps', 'get', sweep.id])).stdout);
    expect(got.best_trial).toMatchObject({
      trial_number: expect.any(Number),
      objective_value: expect.any(Number),
    });
    expect(last).toContain(`best ${Number(got.best_trial.objective_value.toPrecision(4))}`);
  }, 120_000);

  it('reports the API error naming the field, with a non-zero exit', async () => {
    const r = await cli([
      'sweeps',
      'create',
      '--config',
      JSON.stringify({
        base_job: { model: BASE_MODEL, training_file: 'file-x' },
        search_space: { temperature: { type: 'float', low: 0, high: 1 } },
        objective: { metric: 'train_loss', goal: 'minimize' },
      }),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot be searched.*\[search_space\.temperature\] \(HTTP 400\)/);
  });
});
