/**
 * The `tuneplane` CLI as a user runs it: a separate process talking HTTP to the API on loopback
 * (embedded DynamoDB and S3 behind it), through the generated SDK.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { recordMetrics, transitionJob } from '../../functions/domain/lifecycle';
import { BASE_MODEL, startApi, type ApiHarness } from '../api/support';
import { chatJsonl } from '../api/data';
import { runCli } from '../support/cli';

let api: ApiHarness;
let server: { baseUrl: string; close(): Promise<void> };
let baseUrl: string;
let dir: string;

const cli = (args: string[], key = api.keyA) => runCli(baseUrl, key, args);

beforeAll(async () => {
  api = await startApi();
  server = await api.listen();
  baseUrl = `${server.baseUrl}/v1`;
  dir = await mkdtemp(path.join(tmpdir(), 'tp-cli-'));
});

afterAll(async () => {
  await server?.close();
  await api?.stop();
});

describe('tuneplane CLI', () => {
  it('uploads a file, creates a job, lists, gets and cancels it', async () => {
    const file = path.join(dir, 'train.jsonl');
    await writeFile(file, chatJsonl(12));
    const up = await cli(['files', 'upload', file]);
    expect(up.stderr).toBe('');
    const uploaded = JSON.parse(up.stdout);
    expect(uploaded).toMatchObject({ object: 'file', filename: 'train.jsonl', status: 'processed' });

    const created = await cli([
      'jobs',
      'create',
      '--training-file',
      uploaded.id,
      '--model',
      BASE_MODEL,
      '--hyperparameters',
      '{"n_epochs":2}',
      '--seed',
      '7',
    ]);
    const job = JSON.parse(created.stdout);
    expect(job).toMatchObject({ object: 'fine_tuning.job', status: 'queued', seed: 7 });
    expect(job.method.supervised.hyperparameters.n_epochs).toBe(2);

    const list = await cli(['jobs', 'list']);
    expect(list.stdout.split('\n')[0]).toMatch(/^id\s+status\s+model/);
    expect(list.stdout).toContain(job.id);

    expect(JSON.parse((await cli(['jobs', 'get', job.id])).stdout).id).toBe(job.id);
    expect(JSON.parse((await cli(['jobs', 'cancel', job.id])).stdout).status).toBe('cancelled');
  });

  it('reports API errors with the message and the field, and exits 1', async () => {
    const bad = await cli([
      'jobs',
      'create',
      '--training-file',
      'file-nope',
      '--model',
      BASE_MODEL,
      '--hyperparameters',
      '{"n_epochs":99}',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/n_epochs/);
    const other = await cli(['jobs', 'get', 'ftjob-missing']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('HTTP 404');
  });

  it('follows a job to its end, printing its events and the result', async () => {
    const file = path.join(dir, 'follow.jsonl');
    await writeFile(file, chatJsonl(12));
    const uploaded = JSON.parse((await cli(['files', 'upload', file])).stdout);
    const job = JSON.parse(
      (await cli(['jobs', 'create', '--training-file', uploaded.id, '--model', BASE_MODEL])).stdout,
    );
    const deps = { stores: api.env.stores, clock: { nowMs: () => Date.now() } };
    const following = cli(['jobs', 'follow', job.id, '--interval', '100']);
    await new Promise((r) => setTimeout(r, 1500));
    await transitionJob(deps, job.id, 'running');
    const stored = (await api.env.stores.jobs.getById(job.id))!;
    await api.env.stores.jobs.update(
      job.id,
      { version: stored.version },
      { progress: { step: 5, totalSteps: 10, epoch: 1, loss: 0.5 } },
    );
    // a DPO job's metrics carry the reward figures: follow prints them
    await recordMetrics(deps, job, {
      step: 5,
      totalSteps: 10,
      train_loss: 0.61,
      train_rewards_accuracy: 0.75,
      train_rewards_margin: 0.3125,
    });
    await new Promise((r) => setTimeout(r, 500));
    await transitionJob(deps, job.id, 'succeeded', {
      patch: { fineTunedModel: `ft:${BASE_MODEL}:tenant-a::abc` },
    });
    const out = await following;
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('Step 5/10: training loss=0.61, reward accuracy=0.75, reward margin=0.3125');
    expect(out.stdout).toContain('Fine-tuning job started');
    expect(out.stdout).toContain(`Job ${job.id} succeeded: model ft:${BASE_MODEL}:tenant-a::abc`);
  });
});
