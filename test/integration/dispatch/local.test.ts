/**
 * The embedded default's dispatcher: real child processes, jobs in the embedded DynamoDB. The
 * child here is a scripted stand-in for the runner, so each way a process can end is tested on
 * its own; the real runner runs end to end in test/integration/e2e.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { localDispatcher, type LocalDispatcher } from '../../../functions/adapters/local/dispatcher';
import { onRunnerExit, recoverLocalJobs, type DispatchDeps } from '../../../functions/domain/dispatch';
import { transitionJob } from '../../../functions/domain/lifecycle';
import type { JobRecord } from '../../../functions/domain/records';
import { startEmbedded, type Embedded } from '../../support/embedded';
import { jobRecord, manualClock } from '../../support/records';

const RUNNER = path.resolve('test/fixtures/runners/scripted-runner.mjs');
let embedded: Embedded;
let deps: DispatchDeps;
let runLog: string;
let n = 0;

async function job(status: JobRecord['status'] = 'queued'): Promise<JobRecord> {
  n += 1;
  const rec = jobRecord({
    id: `ftjob-localtest${String(n).padStart(3, '0')}x${Math.random().toString(36).slice(2, 6)}`,
    status,
    createdAt: Math.floor(Date.now() / 1000),
  });
  await embedded.stores.jobs.create(rec);
  return rec;
}

const created: LocalDispatcher[] = [];

function dispatcher(
  env: Record<string, string>,
  maxConcurrent = 2,
): { d: LocalDispatcher; exits: Promise<unknown>[] } {
  const exits: Promise<unknown>[] = [];
  const d: LocalDispatcher = localDispatcher({
    command: [process.execPath, RUNNER],
    env: { ...env, RUN_LOG: runLog },
    maxConcurrent,
    stopGraceMs: 2000,
    onExit: (exit) => {
      const p = onRunnerExit(deps, exit, (j) => d.submit(j), { maxAttempts: 3, maxWallMs: 3_600_000 });
      exits.push(p);
      return p.then(() => undefined);
    },
  });
  created.push(d);
  return { d, exits };
}

async function until(cond: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const stored = async (id: string) => (await embedded.stores.jobs.getById(id))!;
const events = async (id: string) => (await embedded.stores.events.list(id, { limit: 100 })).items;

beforeAll(async () => {
  embedded = await startEmbedded();
  deps = { stores: embedded.stores, clock: { nowMs: () => Date.now() } };
  runLog = path.join(await mkdtemp(path.join(tmpdir(), 'tp-local-')), 'runs.log');
});
afterAll(async () => {
  // A failed test must not leave runner processes behind.
  await Promise.all(created.map((d) => d.shutdown()));
  await embedded?.stop();
});

describe('local dispatcher', () => {
  it('a crashing runner fails the job with the last line it printed', async () => {
    const { d } = dispatcher({ SCRIPT: 'exit:1:Error: CUDA is not available' });
    const j = await job('running');
    await d.submit(j);
    await until(async () => (await stored(j.id)).status === 'failed');
    expect((await stored(j.id)).error).toMatchObject({
      code: 'runner_failed',
      message: 'Error: CUDA is not available',
    });
  });

  it('an interrupted runner (exit 75) is started again until its attempts run out', async () => {
    const { d } = dispatcher({ SCRIPT: 'exit:75' });
    const j = await job('running');
    await d.submit(j);
    await until(async () => (await stored(j.id)).status === 'failed');
    const runs = (await readFile(runLog, 'utf8')).split('\n').filter((l) => l === j.id);
    expect(runs).toHaveLength(3);
    expect((await events(j.id)).filter((e) => e.message.startsWith('Interrupted'))).toHaveLength(2);
    expect((await stored(j.id)).error?.code).toBe('runner_interrupted');
  });

  it('runs at most maxConcurrent jobs at once and starts the next when one ends', async () => {
    const { d } = dispatcher({ SCRIPT: 'wait' }, 2);
    const jobs = [await job(), await job(), await job()];
    for (const j of jobs) await d.submit(j);
    await until(() => d.status().running.length === 2);
    expect(d.status().waiting).toEqual([jobs[2].id]);
    await transitionJob(deps, jobs[0].id, 'cancelled');
    await d.cancel(jobs[0]);
    await until(() => d.status().running.includes(jobs[2].id));
    expect((await stored(jobs[0].id)).status).toBe('cancelled');
    await d.shutdown();
    expect(d.status()).toEqual({ running: [], waiting: [] });
  });

  it('cancel stops the process with SIGTERM and the job stays cancelled', async () => {
    const { d, exits } = dispatcher({ SCRIPT: 'wait' });
    const j = await job('running');
    await d.submit(j);
    await until(() => d.status().running.includes(j.id));
    await transitionJob(deps, j.id, 'cancelled');
    await d.cancel(j);
    await Promise.all(exits);
    expect(d.status().running).not.toContain(j.id);
    expect((await stored(j.id)).status).toBe('cancelled');
  });

  it('a runner that ends on its own while its job is paused (it noticed the pause first) leaves the job paused', async () => {
    // run-job returns 0 when it sees the job left `running`, and 75 when interrupted; either may
    // arrive before the pause's SIGTERM, so the exit carries no stoppedFor.
    for (const script of ['exit:0', 'exit:75']) {
      const { d, exits } = dispatcher({ SCRIPT: script });
      const j = await job('paused');
      await d.submit(j);
      await until(() => exits.length === 1);
      await Promise.all(exits);
      expect((await stored(j.id)).status, script).toBe('paused');
      expect(d.status().running.concat(d.status().waiting)).not.toContain(j.id);
    }
  });

  it('after a restart, running jobs resume and queued jobs are submitted again; none is left running', async () => {
    const before = dispatcher({ SCRIPT: 'wait' });
    const running = await job('running');
    const queued = await job('queued');
    await before.d.submit(running);
    await until(() => before.d.status().running.includes(running.id));
    await before.d.shutdown(); // the service stops under the job
    expect((await stored(running.id)).status).toBe('running');

    const after = dispatcher({ SCRIPT: 'wait' }, 10); // earlier tests' jobs are recovered too
    const recovered = await recoverLocalJobs(deps, (jj) => after.d.submit(jj));
    expect(recovered.resumed).toContain(running.id);
    expect(recovered.requeued).toContain(queued.id);
    await until(
      () => after.d.status().running.includes(running.id) && after.d.status().running.includes(queued.id),
    );
    expect((await events(running.id)).some((e) => e.message.includes('service restarted'))).toBe(true);
    await after.d.shutdown();
  });
});

describe('interruption accounting (the domain on the embedded store)', () => {
  const HOUR = 3_600_000;
  const interrupted = (jobId: string) => ({
    jobId,
    code: 75,
    signal: null,
    stoppedFor: null,
    stderrTail: '',
  });
  async function checkpointAt(j: JobRecord, step: number) {
    await embedded.stores.checkpoints.put({
      id: `ftckpt-${j.id}-${step}`,
      jobId: j.id,
      tenantId: j.tenantId,
      createdAt: Math.floor(Date.now() / 1000),
      stepNumber: step,
      metrics: {},
      fineTunedModelCheckpoint: `ft:x:ckpt-step-${step}`,
      blobPrefix: `checkpoints/${j.id}/step-${String(step).padStart(8, '0')}/`,
    });
  }

  it('interruptions that each follow a new checkpoint never use up the attempts', async () => {
    const j = await job('running');
    const resubmitted: string[] = [];
    for (let step = 10; step <= 60; step += 10) {
      await checkpointAt(j, step);
      const outcome = await onRunnerExit(deps, interrupted(j.id), async (x) => resubmitted.push(x.id), {
        maxAttempts: 3,
        maxWallMs: 72 * HOUR,
      });
      expect(outcome, `interruption after step ${step}`).toBe('retried');
    }
    expect(resubmitted).toHaveLength(6);
    expect((await stored(j.id)).status).toBe('running');
  });

  it('interruptions with no progress since the last checkpoint are counted, and fail the job at the limit', async () => {
    const j = await job('running');
    const policy = { maxAttempts: 3, maxWallMs: 72 * HOUR };
    const resubmit = async () => {};
    // Two kills during start-up (no checkpoint yet) count…
    expect(await onRunnerExit(deps, interrupted(j.id), resubmit, policy)).toBe('retried');
    expect(await onRunnerExit(deps, interrupted(j.id), resubmit, policy)).toBe('retried');
    // …an attempt that saved a checkpoint does not, and resets the count…
    await checkpointAt(j, 5);
    expect(await onRunnerExit(deps, interrupted(j.id), resubmit, policy)).toBe('retried');
    expect(await onRunnerExit(deps, interrupted(j.id), resubmit, policy)).toBe('retried');
    expect(await onRunnerExit(deps, interrupted(j.id), resubmit, policy)).toBe('retried');
    // …and the third interruption in a row without progress fails the job.
    expect(await onRunnerExit(deps, interrupted(j.id), resubmit, policy)).toBe('failed');
    const failed = await stored(j.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'runner_interrupted' });
    expect(failed.error!.message).toMatch(/3 times in a row without a new checkpoint/);
  });

  it('a job interrupted again and again with progress still ends after the wall-time bound', async () => {
    const clock = manualClock(Date.now());
    const timed = { ...deps, clock };
    const j = await job('running');
    await embedded.stores.jobs.update(
      j.id,
      { version: j.version },
      { startedAt: Math.floor(clock.nowMs() / 1000) },
    );
    const policy = { maxAttempts: 3, maxWallMs: 72 * HOUR };
    await checkpointAt(j, 10);
    clock.advance(71 * HOUR);
    expect(await onRunnerExit(timed, interrupted(j.id), async () => {}, policy)).toBe('retried');
    await checkpointAt(j, 20);
    clock.advance(2 * HOUR);
    expect(await onRunnerExit(timed, interrupted(j.id), async () => {}, policy)).toBe('failed');
    expect((await stored(j.id)).error!.message).toMatch(/running for more than 72 h/);
  });
});
