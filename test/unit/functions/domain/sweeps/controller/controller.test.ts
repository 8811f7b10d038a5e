/**
 * The sweep controller, pass by pass, on dynalite with a manual clock: it starts trials up to the
 * limits, reads evaluations from the trials' metrics events, prunes with the scheduler, retries a
 * broken run once, stops stale trials, follows pause/resume/cancel, honours the completion rules,
 * finishes with an outbox entry, and keeps nothing in memory between passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advanceSweep,
  advanceSweepOfJob,
  cancelSweep,
  createSweep,
  pauseSweep,
  resumeSweep,
  startSweepWorker,
  tickSweeps,
  type ControllerDeps,
} from '../../../../../../functions/domain/sweeps/controller';
import { createStrategy } from '../../../../../../functions/domain/sweeps';
import type { SweepRecord, TrialRecord } from '../../../../../../functions/ports/sweeps';
import { jobRecord } from '../../../../../support/records';
import { startHarness, TENANT, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.stop());

const sweepOf = async (deps: ControllerDeps, id: string) => (await deps.sweeps.getById(id)) as SweepRecord;
const trialsOf = (deps: ControllerDeps, id: string): Promise<TrialRecord[]> => deps.sweeps.listTrials(id);
const outbox = async (type: string, subject: string) =>
  (await h.env.stores.outbox.listPending(1000)).filter((o) => o.type === type && o.subjectId === subject);

/**
 * A one-trial sweep whose trial 0 (learning_rate 0.01, job `jobId`) a pass recorded before
 * crashing: the trial is pending, its job may or may not exist.
 */
async function sweepWithRecordedTrial(deps: ControllerDeps, jobId: string): Promise<SweepRecord> {
  const sweep = await createSweep(
    deps,
    TENANT,
    h.request({ limits: { max_trials: 1, max_parallel_trials: 1 } }),
  );
  const cur = await sweepOf(deps, sweep.id);
  await deps.sweeps.update(sweep.id, { version: cur.version }, { trialCount: 1 });
  await deps.sweeps.createTrial({
    sweepId: sweep.id,
    tenantId: TENANT,
    number: 0,
    version: 1,
    jobId,
    previousJobIds: [],
    params: { learning_rate: 0.01 },
    state: 'pending',
    value: null,
    reports: [],
    lastJobStep: 0,
    lastProgressAtMs: h.clock.nowMs(),
    lastProgressStep: 0,
    pausedBySweep: false,
    fineTunedModel: null,
    error: null,
    createdAtMs: h.clock.nowMs(),
    finishedAtMs: null,
  });
  return sweep;
}

describe('sweep controller', () => {
  it('starts trials up to the parallel limit as ordinary jobs tagged with the sweep, hyperparameters = base + suggestion', async () => {
    const deps = h.deps();
    const sweep = await createSweep(deps, TENANT, h.request());
    expect(sweep.id).toMatch(/^ftsweep-/);
    expect(await advanceSweep(deps, sweep.id)).toBe('advanced');
    const trials = await trialsOf(deps, sweep.id);
    expect(trials.map((t) => t.number)).toEqual([0, 1]);
    expect(new Set(trials.map((t) => t.params.learning_rate)).size).toBe(2);
    for (const t of trials) {
      const job = await h.job(t.jobId);
      expect(job.sweepId).toBe(sweep.id);
      expect(job.status).toBe('queued');
      expect(job.method.hyperparameters).toMatchObject({
        n_epochs: 3,
        batch_size: 8,
        learning_rate: t.params.learning_rate,
      });
      expect(job.resolvedHyperparameters.learning_rate).toBe(t.params.learning_rate);
      expect(job.metadata).toMatchObject({ sweep_id: sweep.id, sweep_trial: String(t.number) });
      expect(h.calls).toContainEqual({ action: 'submit', jobId: t.jobId });
    }
    // A second pass with nothing new starts nothing more.
    await advanceSweep(deps, sweep.id);
    expect(await trialsOf(deps, sweep.id)).toHaveLength(2);
  });

  it('runs to max_trials, shows the best trial on the sweep, finishes succeeded with one outbox entry, and stays finished', async () => {
    const deps = h.deps();
    const sweep = await createSweep(
      deps,
      TENANT,
      h.request({ limits: { max_trials: 3, max_parallel_trials: 2 } }),
    );
    await advanceSweep(deps, sweep.id);
    const finals = [0.9, 0.4, 0.6];
    let round = 0;
    while ((await sweepOf(deps, sweep.id)).status === 'running' && round++ < 10) {
      for (const t of (await trialsOf(deps, sweep.id)).filter((x) => x.state === 'pending')) {
        await h.run(t.jobId, [1.0, finals[t.number]]);
      }
      await advanceSweep(deps, sweep.id);
    }
    const done = await sweepOf(deps, sweep.id);
    expect(done.status).toBe('succeeded');
    expect(done.statusReason).toBe('max_trials');
    const trials = await trialsOf(deps, sweep.id);
    expect(trials.map((t) => [t.state, t.value])).toEqual([
      ['complete', 0.9],
      ['complete', 0.4],
      ['complete', 0.6],
    ]);
    expect(done.best).toMatchObject({
      number: 1,
      value: 0.4,
      jobId: trials[1].jobId,
      params: trials[1].params,
      fineTunedModel: `ft:tiny-base:${TENANT}::${trials[1].jobId}`,
    });
    expect(done.counts.complete).toBe(3);
    expect(await outbox('fine_tuning.sweep.succeeded', sweep.id)).toHaveLength(1);
    // Idempotent: more passes start nothing and record nothing twice.
    expect(await advanceSweep(deps, sweep.id)).toBe('final');
    expect(await trialsOf(deps, sweep.id)).toHaveLength(3);
    expect(await outbox('fine_tuning.sweep.succeeded', sweep.id)).toHaveLength(1);
  });

  it('prunes with ASHA: a trial worse than the others at a rung is stopped through the job service and dispatcher', async () => {
    const deps = h.deps();
    const req = h.request({
      limits: { max_trials: 3, max_parallel_trials: 3 },
      early_stopping: {
        type: 'asha',
        resource: 'epochs',
        min_resource: 1,
        max_resource: 3,
        reduction_factor: 2,
      },
    });
    const sweep = await createSweep(deps, TENANT, req);
    await advanceSweep(deps, sweep.id);
    const [a, b, c] = await trialsOf(deps, sweep.id);
    // Evaluations at epochs 1, 2, 3 (steps 10, 20, 30 of 30). a and b pass the first rung; c is the worst there.
    await h.run(a.jobId, [0.5, 0.4, 0.3]);
    await advanceSweep(deps, sweep.id);
    await h.run(b.jobId, [0.6, 0.5, 0.45]);
    await advanceSweep(deps, sweep.id);
    await h.run(c.jobId, [0.9], 'running');
    await advanceSweep(deps, sweep.id);
    const pruned = (await trialsOf(deps, sweep.id))[2];
    expect(pruned.state).toBe('pruned');
    expect(pruned.reports.map((r) => r.step)).toEqual([1]);
    expect((await h.job(c.jobId)).status).toBe('cancelled');
    expect(h.calls).toContainEqual({ action: 'cancel', jobId: c.jobId });
    const done = await sweepOf(deps, sweep.id);
    expect(done.status).toBe('succeeded');
    expect(done.best?.number).toBe(0);
    expect(done.counts).toMatchObject({ complete: 2, pruned: 1 });
  });

  it('retries a trial once when its run broke (same parameters, new job), and fails it the second time', async () => {
    const deps = h.deps();
    const sweep = await createSweep(
      deps,
      TENANT,
      h.request({ limits: { max_trials: 1, max_parallel_trials: 1 } }),
    );
    await advanceSweep(deps, sweep.id);
    const [first] = await trialsOf(deps, sweep.id);
    await h.run(first.jobId, [0.8], { failed: 'runner_failed' });
    await advanceSweep(deps, sweep.id);
    const [retried] = await trialsOf(deps, sweep.id);
    expect(retried.state).toBe('pending');
    expect(retried.previousJobIds).toEqual([first.jobId]);
    expect(retried.jobId).not.toBe(first.jobId);
    expect(retried.reports).toEqual([]);
    const job = await h.job(retried.jobId);
    expect(job.resolvedHyperparameters.learning_rate).toBe(first.params.learning_rate);
    expect(job.sweepId).toBe(sweep.id);
    await h.run(retried.jobId, [0.8], { failed: 'runner_failed' });
    await advanceSweep(deps, sweep.id);
    const [failed] = await trialsOf(deps, sweep.id);
    expect(failed.state).toBe('failed');
    expect(failed.error?.code).toBe('runner_failed');
    const done = await sweepOf(deps, sweep.id);
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('no_successful_trial');
    expect(await outbox('fine_tuning.sweep.failed', sweep.id)).toHaveLength(1);
  });

  it('does not retry a failure caused by the request or data', async () => {
    const deps = h.deps();
    const sweep = await createSweep(
      deps,
      TENANT,
      h.request({ limits: { max_trials: 2, max_parallel_trials: 1 } }),
    );
    await advanceSweep(deps, sweep.id);
    const [first] = await trialsOf(deps, sweep.id);
    await h.run(first.jobId, [], { failed: 'invalid_training_file' });
    await advanceSweep(deps, sweep.id);
    const trials = await trialsOf(deps, sweep.id);
    expect(trials[0]).toMatchObject({
      state: 'failed',
      previousJobIds: [],
      error: { code: 'invalid_training_file' },
    });
    expect(trials[1].state).toBe('pending'); // the next trial took its place
  });

  it('stops a trial whose progress has not moved for stale_after_seconds and marks it stale', async () => {
    const deps = h.deps();
    const sweep = await createSweep(
      deps,
      TENANT,
      h.request({ limits: { max_trials: 2, max_parallel_trials: 1 }, stale_after_seconds: 60 }),
    );
    await advanceSweep(deps, sweep.id);
    const [t] = await trialsOf(deps, sweep.id);
    await h.run(t.jobId, [0.7], 'running');
    await advanceSweep(deps, sweep.id);
    h.clock.advance(59_000);
    await advanceSweep(deps, sweep.id);
    expect((await trialsOf(deps, sweep.id))[0].state).toBe('running');
    h.clock.advance(2_000);
    await advanceSweep(deps, sweep.id);
    const trials = await trialsOf(deps, sweep.id);
    expect(trials[0]).toMatchObject({ state: 'stale', error: { code: 'trial_stale' } });
    expect((await h.job(t.jobId)).status).toBe('cancelled');
    expect(trials[1].state).toBe('pending');
  });

  it('ends at once when a trial reaches target_value, cancelling the trials still running', async () => {
    const deps = h.deps();
    const sweep = await createSweep(
      deps,
      TENANT,
      h.request({ limits: { max_trials: 10, max_parallel_trials: 2 }, completion: { target_value: 0.2 } }),
    );
    await advanceSweep(deps, sweep.id);
    const [a, b] = await trialsOf(deps, sweep.id);
    await h.run(b.jobId, [0.5], 'running');
    await h.run(a.jobId, [0.3, 0.15]);
    await advanceSweep(deps, sweep.id);
    const done = await sweepOf(deps, sweep.id);
    expect(done).toMatchObject({
      status: 'succeeded',
      statusReason: 'target_reached',
      best: { number: 0, value: 0.15 },
    });
    expect((await trialsOf(deps, sweep.id)).map((t) => t.state)).toEqual(['complete', 'cancelled']);
    expect((await h.job(b.jobId)).status).toBe('cancelled');
  });

  it('ends after no_improvement_trials finished trials without a new best', async () => {
    const deps = h.deps();
    const sweep = await createSweep(
      deps,
      TENANT,
      h.request({
        limits: { max_trials: 10, max_parallel_trials: 1 },
        completion: { no_improvement_trials: 2 },
      }),
    );
    const values = [0.5, 0.6, 0.7, 0.1];
    for (let i = 0; i < 4 && (await sweepOf(deps, sweep.id)).status === 'running'; i++) {
      await advanceSweep(deps, sweep.id);
      const t = (await trialsOf(deps, sweep.id)).find((x) => x.state === 'pending');
      if (t) await h.run(t.jobId, [values[t.number]]);
      await advanceSweep(deps, sweep.id);
    }
    const done = await sweepOf(deps, sweep.id);
    expect(done).toMatchObject({ status: 'succeeded', statusReason: 'no_improvement', trialCount: 3 });
  });

  it('ends at max_runtime_seconds of run time; paused time does not count', async () => {
    const deps = h.deps();
    const sweep = await createSweep(
      deps,
      TENANT,
      h.request({ limits: { max_trials: 10, max_parallel_trials: 1, max_runtime_seconds: 600 } }),
    );
    await advanceSweep(deps, sweep.id);
    const [t] = await trialsOf(deps, sweep.id);
    await h.run(t.jobId, [0.5]);
    await advanceSweep(deps, sweep.id);
    await pauseSweep(deps, TENANT, sweep.id);
    h.clock.advance(900_000);
    await advanceSweep(deps, sweep.id);
    await resumeSweep(deps, TENANT, sweep.id);
    await advanceSweep(deps, sweep.id);
    expect((await sweepOf(deps, sweep.id)).status).toBe('running');
    h.clock.advance(600_000);
    await advanceSweep(deps, sweep.id);
    const done = await sweepOf(deps, sweep.id);
    expect(done).toMatchObject({ status: 'succeeded', statusReason: 'max_runtime', best: { number: 0 } });
    expect((await trialsOf(deps, sweep.id)).at(-1)?.state).toBe('cancelled');
  });

  it('pause stops new trials and pauses running trial jobs; resume resumes the jobs it paused', async () => {
    const deps = h.deps();
    const sweep = await createSweep(
      deps,
      TENANT,
      h.request({ limits: { max_trials: 4, max_parallel_trials: 1 } }),
    );
    await advanceSweep(deps, sweep.id);
    const [t] = await trialsOf(deps, sweep.id);
    await h.run(t.jobId, [0.5], 'running');
    await pauseSweep(deps, TENANT, sweep.id);
    await advanceSweep(deps, sweep.id);
    expect((await h.job(t.jobId)).status).toBe('paused');
    expect(h.calls).toContainEqual({ action: 'pause', jobId: t.jobId });
    await expect(pauseSweep(deps, TENANT, sweep.id)).rejects.toMatchObject({
      status: 409,
      code: 'sweep_not_pausable',
    });
    await resumeSweep(deps, TENANT, sweep.id);
    await advanceSweep(deps, sweep.id);
    expect(h.calls).toContainEqual({ action: 'resume', jobId: t.jobId });
    expect((await h.job(t.jobId)).status).toBe('queued'); // resumed jobs are dispatched again
    expect(await trialsOf(deps, sweep.id)).toHaveLength(1);
  });

  it('cancel stops every unfinished trial job, records the webhook once, and cannot be repeated', async () => {
    const deps = h.deps();
    const sweep = await createSweep(deps, TENANT, h.request());
    await advanceSweep(deps, sweep.id);
    const trials = await trialsOf(deps, sweep.id);
    await h.run(trials[0].jobId, [0.5], 'running');
    const cancelled = await cancelSweep(deps, TENANT, sweep.id);
    expect(cancelled.status).toBe('cancelled');
    for (const t of trials) expect((await h.job(t.jobId)).status).toBe('cancelled');
    expect(await advanceSweep(deps, sweep.id)).toBe('final');
    expect((await trialsOf(deps, sweep.id)).map((t) => t.state)).toEqual(['cancelled', 'cancelled']);
    expect(await outbox('fine_tuning.sweep.cancelled', sweep.id)).toHaveLength(1);
    await expect(cancelSweep(deps, TENANT, sweep.id)).rejects.toMatchObject({
      status: 409,
      code: 'sweep_not_cancellable',
    });
  });

  it('finishes search_space_exhausted when a grid has no point left', async () => {
    const deps = h.deps();
    const sweep = await createSweep(
      deps,
      TENANT,
      h.request({
        strategy: { type: 'grid' },
        search_space: { batch_size: { type: 'categorical', choices: [4, 8] } },
        limits: { max_trials: 10, max_parallel_trials: 4 },
      }),
    );
    await advanceSweep(deps, sweep.id);
    const trials = await trialsOf(deps, sweep.id);
    expect(trials.map((t) => t.params.batch_size).sort()).toEqual([4, 8]);
    for (const t of trials) await h.run(t.jobId, [t.params.batch_size === 4 ? 0.3 : 0.5]);
    await advanceSweep(deps, sweep.id);
    expect(await sweepOf(deps, sweep.id)).toMatchObject({
      status: 'succeeded',
      statusReason: 'search_space_exhausted',
      best: { params: { batch_size: 4 } },
    });
  });

  it('keeps no state in memory: a new controller (another process) continues where the last one stopped', async () => {
    const first = h.deps({ owner: 'process-1' });
    const sweep = await createSweep(
      first,
      TENANT,
      h.request({
        limits: { max_trials: 3, max_parallel_trials: 1 },
        strategy: { type: 'tpe', seed: 3, n_startup_trials: 1 },
      }),
    );
    await advanceSweep(first, sweep.id);
    const [t0] = await trialsOf(first, sweep.id);
    await h.run(t0.jobId, [0.5]);
    const second = h.deps({ owner: 'process-2' });
    await advanceSweep(second, sweep.id);
    const trials = await trialsOf(second, sweep.id);
    expect(trials.map((t) => t.state)).toEqual(['complete', 'pending']);
    // Same suggestion whichever process makes it: the strategy is replayed from the store.
    const s = createStrategy(sweep.config, sweep.seed);
    s.observe({ id: 'trial-0', params: t0.params, state: 'complete', value: 0.5 });
    expect(s.suggest('trial-1')).toEqual(trials[1].params);
  });

  it('one pass per sweep at a time: a live lease makes other passes back off; an expired one is taken over', async () => {
    const deps = h.deps({ owner: 'a' });
    const sweep = await createSweep(deps, TENANT, h.request());
    const cur = await sweepOf(deps, sweep.id);
    await deps.sweeps.update(
      sweep.id,
      { version: cur.version },
      { lease: { owner: 'crashed', untilMs: h.clock.nowMs() + 30_000 } },
    );
    expect(await advanceSweep(deps, sweep.id)).toBe('busy');
    expect(await trialsOf(deps, sweep.id)).toHaveLength(0);
    h.clock.advance(31_000);
    expect(await advanceSweep(deps, sweep.id)).toBe('advanced');
    expect(await trialsOf(deps, sweep.id)).toHaveLength(2);
    expect((await sweepOf(deps, sweep.id)).lease).toBeNull();
  });

  it('recreates a trial job that was recorded but never created (a crash between the two writes)', async () => {
    const deps = h.deps();
    const sweep = await sweepWithRecordedTrial(deps, 'ftjob-recorded0000000000000');
    await advanceSweep(deps, sweep.id);
    const job = await h.job('ftjob-recorded0000000000000');
    expect(job).toMatchObject({ sweepId: sweep.id, status: 'queued' });
    expect(job.resolvedHyperparameters.learning_rate).toBe(0.01);
    expect(await trialsOf(deps, sweep.id)).toHaveLength(1);
  });
});

describe('sweep controller: more of the search', () => {
  it('warm-starts from an earlier sweep: a grid skips the points that sweep already ran', async () => {
    const deps = h.deps();
    const space = { batch_size: { type: 'categorical', choices: [4, 8, 16] } };
    const first = await createSweep(
      deps,
      TENANT,
      h.request({
        strategy: { type: 'grid' },
        search_space: space,
        limits: { max_trials: 1, max_parallel_trials: 1 },
      }),
    );
    await advanceSweep(deps, first.id);
    const [done] = await trialsOf(deps, first.id);
    await h.run(done.jobId, [0.4]);
    await advanceSweep(deps, first.id);
    expect((await sweepOf(deps, first.id)).status).toBe('succeeded');

    const second = await createSweep(
      deps,
      TENANT,
      h.request({
        strategy: { type: 'grid' },
        search_space: space,
        limits: { max_trials: 5, max_parallel_trials: 5 },
        warm_start: { sweep_ids: [first.id] },
      }),
    );
    await advanceSweep(deps, second.id);
    const params = (await trialsOf(deps, second.id)).map((t) => t.params.batch_size);
    expect(params).not.toContain(done.params.batch_size);
    expect(params).toHaveLength(2);
  });

  it('prunes with the median rule once enough trials completed: a trial worse than the median at the same step is stopped', async () => {
    const deps = h.deps();
    const sweep = await createSweep(
      deps,
      TENANT,
      h.request({
        limits: { max_trials: 3, max_parallel_trials: 1 },
        early_stopping: {
          type: 'median',
          n_startup_trials: 2,
          n_warmup_steps: 0,
          interval_steps: 1,
          n_min_trials: 1,
        },
      }),
    );
    for (const values of [
      [0.5, 0.4, 0.3],
      [0.6, 0.5, 0.4],
    ]) {
      await advanceSweep(deps, sweep.id);
      const t = (await trialsOf(deps, sweep.id)).find((x) => x.state === 'pending')!;
      await h.run(t.jobId, values);
    }
    await advanceSweep(deps, sweep.id);
    const third = (await trialsOf(deps, sweep.id))[2];
    await h.run(third.jobId, [0.9], 'running');
    await advanceSweep(deps, sweep.id);
    expect((await trialsOf(deps, sweep.id))[2].state).toBe('pruned');
    expect((await h.job(third.jobId)).status).toBe('cancelled');
  });

  it('a trial event advances the sweep of that job; other jobs are not trials', async () => {
    const deps = h.deps();
    const sweep = await createSweep(
      deps,
      TENANT,
      h.request({ limits: { max_trials: 2, max_parallel_trials: 1 } }),
    );
    await advanceSweep(deps, sweep.id);
    const [t] = await trialsOf(deps, sweep.id);
    await h.run(t.jobId, [0.5]);
    expect(await advanceSweepOfJob(deps, t.jobId)).toBe('advanced');
    expect((await trialsOf(deps, sweep.id)).map((x) => x.state)).toEqual(['complete', 'pending']);
    expect(await advanceSweepOfJob(deps, 'ftjob-unknown')).toBe('not_a_trial');
  });

  it('the worker runs passes on kicks and trial events, one at a time', async () => {
    const deps = h.deps();
    const sweep = await createSweep(
      deps,
      TENANT,
      h.request({ limits: { max_trials: 2, max_parallel_trials: 1 } }),
    );
    const errors: unknown[] = [];
    const worker = startSweepWorker(deps, { intervalMs: 60_000, onError: (e) => errors.push(e) });
    try {
      worker.kick(sweep.id);
      await worker.idle();
      const [t] = await trialsOf(deps, sweep.id);
      expect(t.state).toBe('pending');
      await h.run(t.jobId, [0.5]);
      worker.onJobEvent(t.jobId);
      await new Promise((r) => setTimeout(r, 200));
      await worker.idle();
      expect((await trialsOf(deps, sweep.id)).map((x) => x.state)).toEqual(['complete', 'pending']);
      expect(errors).toEqual([]);
    } finally {
      await worker.stop();
    }
  });
});

describe('sweep controller: repairs', () => {
  it('a sweep made final without its follow-ups (a crash right after the status write) is settled by the next tick', async () => {
    const deps = h.deps();
    const sweep = await createSweep(deps, TENANT, h.request());
    await advanceSweep(deps, sweep.id);
    const cur = await sweepOf(deps, sweep.id);
    const t = h.clock.nowMs();
    // What finish() writes first; then "the process dies" before the outbox entry and the trial jobs.
    await deps.sweeps.update(
      sweep.id,
      { version: cur.version },
      {
        status: 'succeeded',
        statusReason: 'target_reached',
        finishedAt: Math.floor(t / 1000),
        finishedTransition: { to: 'succeeded', atMs: t },
      },
    );
    expect(await outbox('fine_tuning.sweep.succeeded', sweep.id)).toHaveLength(0);
    expect((await deps.sweeps.listActive(1000)).map((s) => s.id)).toContain(sweep.id);

    const outcomes = await tickSweeps(h.deps({ owner: 'after-restart' }));
    expect(outcomes[sweep.id]).toBe('final');
    expect(await outbox('fine_tuning.sweep.succeeded', sweep.id)).toHaveLength(1);
    const trials = await trialsOf(deps, sweep.id);
    expect(trials.map((x) => x.state)).toEqual(['cancelled', 'cancelled']);
    for (const x of trials) expect((await h.job(x.jobId)).status).toBe('cancelled');
    expect((await sweepOf(deps, sweep.id)).settled).toBe(true);
    expect((await deps.sweeps.listActive(1000)).map((s) => s.id)).not.toContain(sweep.id);
  });
});

describe('sweep controller: a trial job left half-created', () => {
  it('is queued and submitted when it has sat in validating_files for a minute', async () => {
    const deps = h.deps();
    const jobId = 'ftjob-halfcreated000000000000';
    const sweep = await sweepWithRecordedTrial(deps, jobId);
    await h.env.stores.jobs.create(
      jobRecord({
        id: jobId,
        status: 'validating_files',
        sweepId: sweep.id,
        createdAt: Math.floor(h.clock.nowMs() / 1000),
      }),
    );
    await advanceSweep(deps, sweep.id);
    expect((await h.job(jobId)).status).toBe('validating_files'); // may still be on its way
    h.clock.advance(61_000);
    await advanceSweep(deps, sweep.id);
    expect((await h.job(jobId)).status).toBe('queued');
    expect(h.calls).toContainEqual({ action: 'submit', jobId });
  });
});
