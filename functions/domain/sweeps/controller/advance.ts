/**
 * One controller pass over one sweep. Stateless: everything comes from the store and goes back to
 * it, so a pass can run in any process, after any restart, and running it again changes nothing
 * that is already done. Passes over one sweep never overlap: each holds the sweep's lease (a
 * conditional write on the sweep's version), and a holder that dies loses it when it runs out.
 *
 * A pass: read every unfinished trial's job (new evaluations, status, progress) → stop trials the
 * scheduler prunes → stop stale trials → pause or resume trial jobs with the sweep → apply the
 * completion rules → start new trials up to the limits (strategy replayed with constant liar) →
 * store the summary (best trial, counts), or finish the sweep with an outbox entry for its webhook.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../../../errors';
import type { SweepPatch, SweepRecord, SweepStatus, TrialPatch, TrialRecord } from '../../../ports/sweeps';
import { pauseJob, resumeJob } from '../../jobs';
import { submitQueuedJob } from '../../dispatch';
import { isTerminal, transitionJob } from '../../lifecycle';
import type { JobError, JobRecord } from '../../records';
import { sweepStatus, type CompletionReason } from '../completion';
import { createStrategy, warmStartTrials } from '../index';
import type { Trial } from '../strategy';
import { settingsOf, type ControllerDeps } from './deps';
import { evaluateTrial } from './eval-objective';
import { createTrialJob, newReports, stopTrialJob } from './trial-jobs';
import {
  bestOf,
  countStates,
  elapsedSeconds,
  isActiveTrial,
  strategyTrials,
  trialKey,
  trialsToStop,
} from './view';

export type AdvanceOutcome = 'missing' | 'busy' | 'advanced' | 'finished' | 'final';

/** A trial job still `validating_files` after this long was left there by a crash in its creation. */
const STUCK_CREATING_MS = 60_000;

/**
 * The sweep's status changed under the pass (a user cancelled or paused it): the pass ends early.
 * Outside the error tree on purpose: a private signal from a write to the pass's top, never an
 * error anyone sees (`advanceSweep` catches it and reports the pass as done).
 */
class SweepMoved extends Error {}

const ownerIds = new WeakMap<object, string>();
function ownerOf(deps: ControllerDeps): string {
  if (deps.owner) return deps.owner;
  let id = ownerIds.get(deps);
  if (!id) ownerIds.set(deps, (id = `controller-${randomUUID()}`));
  return id;
}

/** The pass's view of the sweep record: writes go through it, conditional on the version it holds. */
class SweepHandle {
  constructor(
    private readonly deps: ControllerDeps,
    public sweep: SweepRecord,
  ) {}

  /** Writes `patch` while the sweep keeps the status the pass started with; re-reads on a lost race. */
  async write(patch: SweepPatch): Promise<SweepRecord> {
    const status = this.sweep.status;
    for (let i = 0; i < 8; i++) {
      try {
        this.sweep = await this.deps.sweeps.update(
          this.sweep.id,
          { version: this.sweep.version, status },
          patch,
        );
        return this.sweep;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        const fresh = await this.deps.sweeps.getById(this.sweep.id);
        if (!fresh) throw new NotFoundError('sweep', this.sweep.id);
        this.sweep = fresh;
        if (fresh.status !== status) throw new SweepMoved();
      }
    }
    throw new ConflictError(`Sweep ${this.sweep.id} kept changing; retry.`, 'sweep_busy');
  }
}

async function acquire(deps: ControllerDeps, sweepId: string): Promise<SweepRecord | 'missing' | 'busy'> {
  const { leaseMs } = settingsOf(deps);
  const owner = ownerOf(deps);
  for (let i = 0; i < 5; i++) {
    const sweep = await deps.sweeps.getById(sweepId);
    if (!sweep) return 'missing';
    const now = deps.clock.nowMs();
    if (sweep.lease && sweep.lease.owner !== owner && sweep.lease.untilMs > now) return 'busy';
    try {
      return await deps.sweeps.update(
        sweepId,
        { version: sweep.version },
        { lease: { owner, untilMs: now + leaseMs } },
      );
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  return 'busy';
}

async function release(deps: ControllerDeps, sweepId: string): Promise<void> {
  const owner = ownerOf(deps);
  for (let i = 0; i < 5; i++) {
    const sweep = await deps.sweeps.getById(sweepId);
    if (!sweep || sweep.lease?.owner !== owner) return;
    try {
      await deps.sweeps.update(sweepId, { version: sweep.version }, { lease: null });
      return;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
}

export async function advanceSweep(deps: ControllerDeps, sweepId: string): Promise<AdvanceOutcome> {
  const got = await acquire(deps, sweepId);
  if (got === 'missing' || got === 'busy') return got;
  const handle = new SweepHandle(deps, got);
  try {
    if (isTerminal(got.status)) {
      if (!got.settled) await settleFinished(deps, handle);
      return 'final';
    }
    return await pass(deps, handle);
  } catch (err) {
    if (err instanceof SweepMoved) return 'advanced'; // the next pass sees the new status
    throw err;
  } finally {
    await release(deps, sweepId);
  }
}

/**
 * A trial event (its job reported metrics or reached a final status: Batch state events, a local
 * runner's exit, a job webhook): a pass over the job's sweep. Jobs outside sweeps are ignored.
 */
export async function advanceSweepOfJob(
  deps: ControllerDeps,
  jobId: string,
): Promise<AdvanceOutcome | 'not_a_trial'> {
  const job = await deps.stores.jobs.getById(jobId);
  if (!job?.sweepId) return 'not_a_trial';
  return advanceSweep(deps, job.sweepId);
}

const now = (deps: ControllerDeps) => deps.clock.nowMs();

async function saveTrial(deps: ControllerDeps, trial: TrialRecord, patch: TrialPatch): Promise<TrialRecord> {
  return deps.sweeps.updateTrial(trial.sweepId, trial.number, trial.version, patch);
}

/** Reads the trial's job and brings the trial up to date with it. */
async function observe(deps: ControllerDeps, sweep: SweepRecord, trial: TrialRecord): Promise<TrialRecord> {
  const t = now(deps);
  const job = await deps.stores.jobs.getById(trial.jobId);
  if (!job) return startJob(deps, sweep, trial);
  if (job.status === 'validating_files' && t - job.createdAt * 1000 > STUCK_CREATING_MS)
    await finishCreating(deps, job);
  const { reports, lastJobStep } = await newReports(deps, sweep.config, job, trial, t);
  const patch: TrialPatch = {};
  if (reports.length) patch.reports = [...trial.reports, ...reports];
  if (lastJobStep !== trial.lastJobStep) patch.lastJobStep = lastJobStep;
  const step = job.progress?.step ?? 0;
  // Staleness counts only while the job runs: waiting for a slot or paused is not "stuck".
  if (job.status !== 'running' || step !== trial.lastProgressStep)
    Object.assign(patch, { lastProgressAtMs: t, lastProgressStep: step });
  if (job.status === 'succeeded' && sweep.config.objective.type === 'eval')
    Object.assign(patch, await evaluateTrial(deps, sweep, { ...trial, ...patch }, job, t));
  else if (isTerminal(job.status)) Object.assign(patch, finalPatch(deps, job, { ...trial, ...patch }, t));
  else if ((job.status === 'running' || job.status === 'paused') && trial.state !== 'running')
    patch.state = 'running';
  if (Object.keys(patch).length === 0) return trial;
  const saved = await saveTrial(deps, trial, patch);
  if (saved.state === 'pending' && saved.jobId !== job.id) return startJob(deps, sweep, saved); // a retry
  return saved;
}

/** The trial's state once its job is final: its objective, a retry, or why it failed. */
function finalPatch(deps: ControllerDeps, job: JobRecord, trial: TrialRecord, t: number): TrialPatch {
  const done = { finishedAtMs: t, fineTunedModel: job.fineTunedModel };
  if (job.status === 'succeeded') {
    const last = trial.reports.at(-1);
    if (!last) {
      const error = {
        code: 'objective_missing',
        message: 'The trial finished without reporting the objective metric.',
        param: null,
      };
      return { ...done, state: 'failed', error };
    }
    return { ...done, state: 'complete', value: last.value };
  }
  if (job.status === 'cancelled')
    return {
      ...done,
      state: 'cancelled',
      error: { code: 'job_cancelled', message: 'The trial job was cancelled.', param: null },
    };
  const { retryableErrors, maxRetries } = settingsOf(deps);
  if (job.error && retryableErrors.includes(job.error.code) && trial.previousJobIds.length < maxRetries) {
    return {
      state: 'pending',
      jobId: deps.ids.next('ftjob-'),
      previousJobIds: [...trial.previousJobIds, job.id],
      reports: [],
      lastJobStep: 0,
      lastProgressStep: 0,
      lastProgressAtMs: t,
    };
  }
  return {
    ...done,
    state: 'failed',
    error: job.error ?? { code: 'job_failed', message: 'The trial job failed.', param: null },
  };
}

/** Job creation stopped between writing the job and queueing it (a crash): queue and submit it now. */
async function finishCreating(deps: ControllerDeps, job: JobRecord): Promise<void> {
  try {
    const { job: queued } = await transitionJob(deps, job.id, 'queued', {
      expectedStatus: 'validating_files',
      reason: 'Trial job queued by its sweep',
    });
    if (deps.dispatchers?.[queued.provider]) await submitQueuedJob(deps, deps.dispatchers, queued);
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
  }
}

async function startJob(deps: ControllerDeps, sweep: SweepRecord, trial: TrialRecord): Promise<TrialRecord> {
  const refused = await createTrialJob(deps, sweep, trial);
  if (!refused) return trial;
  return saveTrial(deps, trial, { state: 'failed', error: refused, finishedAtMs: now(deps) });
}

/** Marks the trial final first, then stops its job: a crash in between leaves a final trial whose job ends on its own. */
async function stopTrial(
  deps: ControllerDeps,
  sweep: SweepRecord,
  trial: TrialRecord,
  state: 'pruned' | 'stale' | 'cancelled',
  error: JobError | null,
): Promise<TrialRecord> {
  const saved = await saveTrial(deps, trial, { state, error, finishedAtMs: now(deps) });
  await stopTrialJob(deps, sweep, trial.jobId);
  return saved;
}

async function loadWarmStart(deps: ControllerDeps, sweep: SweepRecord): Promise<Trial[]> {
  const ids = sweep.config.warm_start?.sweep_ids ?? [];
  const out: Trial[] = [];
  for (const id of ids) {
    const other = await deps.sweeps.get(sweep.tenantId, id);
    if (!other) continue;
    for (const t of strategyTrials(await deps.sweeps.listTrials(id))) out.push({ ...t, id: `${id}:${t.id}` });
  }
  return warmStartTrials(sweep.config, out);
}

async function pass(deps: ControllerDeps, handle: SweepHandle): Promise<AdvanceOutcome> {
  let sweep = handle.sweep;
  const trials = new Map((await deps.sweeps.listTrials(sweep.id)).map((t) => [t.number, t]));
  const set = (t: TrialRecord) => trials.set(t.number, t);

  for (const t of [...trials.values()].filter(isActiveTrial)) set(await observe(deps, sweep, t));

  for (const n of trialsToStop(sweep.config, [...trials.values()])) {
    set(await stopTrial(deps, sweep, trials.get(n)!, 'pruned', null));
  }

  const staleMs = sweep.staleAfterSeconds * 1000;
  for (const t of [...trials.values()].filter((x) => x.state === 'running')) {
    if (now(deps) - t.lastProgressAtMs > staleMs) {
      const job = await deps.stores.jobs.getById(t.jobId);
      if (job?.status !== 'running') continue;
      const message = `No progress for ${sweep.staleAfterSeconds} s (stuck at step ${t.lastProgressStep}); the trial was stopped.`;
      set(await stopTrial(deps, sweep, t, 'stale', { code: 'trial_stale', message, param: null }));
    }
  }

  await followPause(deps, sweep, trials);

  const goal = sweep.config.objective.goal;
  for (;;) {
    const all = [...trials.values()];
    const status = sweepStatus({
      trials: strategyTrials(all),
      goal,
      limits: sweep.config.limits,
      completion: sweep.config.completion,
      elapsedSeconds: elapsedSeconds(sweep, now(deps)),
      exhausted: sweep.exhausted,
    });
    if (status.cancelRunning) {
      for (const t of all.filter(isActiveTrial)) {
        set(
          await stopTrial(deps, sweep, t, 'cancelled', {
            code: 'sweep_finished',
            message: `The sweep finished (${status.done}).`,
            param: null,
          }),
        );
      }
    }
    if (status.done && ![...trials.values()].some(isActiveTrial)) {
      await finish(deps, handle, [...trials.values()], status.done);
      return 'finished';
    }
    if (sweep.status !== 'running' || status.startable === 0) break;
    const started = await startTrials(deps, handle, [...trials.values()], status.startable);
    sweep = handle.sweep;
    started.forEach(set);
    if (started.length === 0 && !sweep.exhausted) break;
  }

  const all = [...trials.values()];
  await handle.write({ best: bestOf(all, goal), counts: countStates(all) });
  return 'advanced';
}

/** Paused sweep: pause its running trial jobs (as they start). Running sweep: resume the ones it paused. */
async function followPause(
  deps: ControllerDeps,
  sweep: SweepRecord,
  trials: Map<number, TrialRecord>,
): Promise<void> {
  for (const t of [...trials.values()].filter((x) => x.state === 'running')) {
    const job = await deps.stores.jobs.getById(t.jobId);
    if (!job) continue;
    try {
      if (sweep.status === 'paused' && job.status === 'running') {
        await pauseJob(deps, sweep.tenantId, job.id);
        trials.set(t.number, await saveTrial(deps, t, { pausedBySweep: true }));
      } else if (sweep.status === 'running' && job.status === 'paused' && t.pausedBySweep) {
        await resumeJob(deps, sweep.tenantId, job.id);
        trials.set(t.number, await saveTrial(deps, t, { pausedBySweep: false, lastProgressAtMs: now(deps) }));
      }
    } catch (err) {
      // A provider that cannot pause keeps running the trial; a job that moved on is seen next pass.
      if (!(err instanceof ConflictError || err instanceof ValidationError)) throw err;
    }
  }
}

/** Claims trial numbers (a conditional write on the sweep), records each trial, then creates its job. */
async function startTrials(
  deps: ControllerDeps,
  handle: SweepHandle,
  trials: TrialRecord[],
  count: number,
): Promise<TrialRecord[]> {
  const sweep = handle.sweep;
  const strategy = createStrategy(sweep.config, sweep.seed);
  for (const t of await loadWarmStart(deps, sweep)) strategy.observe(t);
  for (const t of strategyTrials(trials)) strategy.observe(t);
  const started: TrialRecord[] = [];
  for (let i = 0; i < count; i++) {
    const number = handle.sweep.trialCount;
    const params = strategy.suggest(trialKey(number));
    if (params === null) {
      await handle.write({ exhausted: true });
      break;
    }
    await handle.write({ trialCount: number + 1 });
    const t = now(deps);
    const trial: TrialRecord = {
      sweepId: sweep.id,
      tenantId: sweep.tenantId,
      number,
      version: 1,
      jobId: deps.ids.next('ftjob-'),
      previousJobIds: [],
      params,
      state: 'pending',
      value: null,
      reports: [],
      lastJobStep: 0,
      lastProgressAtMs: t,
      lastProgressStep: 0,
      pausedBySweep: false,
      fineTunedModel: null,
      error: null,
      createdAtMs: t,
      finishedAtMs: null,
    };
    await deps.sweeps.createTrial(trial);
    started.push(await startJob(deps, sweep, trial));
  }
  return started;
}

async function finish(
  deps: ControllerDeps,
  handle: SweepHandle,
  trials: TrialRecord[],
  reason: CompletionReason,
): Promise<void> {
  const best = bestOf(trials, handle.sweep.config.objective.goal);
  const status: SweepStatus = best ? 'succeeded' : 'failed';
  const error = best
    ? null
    : {
        code: 'no_successful_trial',
        message: `The sweep ended (${reason}) without a trial that reported its objective.`,
        param: null,
      };
  const t = now(deps);
  await handle.write({
    status,
    statusReason: reason,
    error,
    best,
    counts: countStates(trials),
    finishedAt: Math.floor(t / 1000),
    finishedTransition: { to: status, atMs: t },
  });
  await settleFinished(deps, handle);
}

/** The webhook-worthy end of a sweep, recorded once (deterministic id; the store ignores repeats). */
export async function putOutbox(deps: ControllerDeps, sweep: SweepRecord): Promise<void> {
  const ft = sweep.finishedTransition;
  if (!ft || ft.to !== sweep.status) return;
  await deps.stores.outbox.put({
    id: `${sweep.id}:${ft.to}`,
    tenantId: sweep.tenantId,
    type: `fine_tuning.sweep.${ft.to}`,
    subjectId: sweep.id,
    createdAt: Math.floor(ft.atMs / 1000),
    status: 'pending',
  });
  deps.onOutbox?.();
}

/**
 * The follow-ups of a final sweep (finished by a pass, or cancelled by its user): the outbox entry,
 * every unfinished trial's job stopped; then the sweep is settled and leaves the active listing.
 * Each step is idempotent, so a crash anywhere here is repaired by the next tick.
 */
async function settleFinished(deps: ControllerDeps, handle: SweepHandle): Promise<void> {
  const sweep = handle.sweep;
  await putOutbox(deps, sweep);
  const trials = await deps.sweeps.listTrials(sweep.id);
  for (const t of trials.filter(isActiveTrial)) {
    await stopTrial(deps, sweep, t, 'cancelled', {
      code: 'sweep_cancelled',
      message: `The sweep is ${sweep.status}.`,
      param: null,
    });
  }
  const fresh = await deps.sweeps.listTrials(sweep.id);
  await handle.write({
    counts: countStates(fresh),
    best: bestOf(fresh, sweep.config.objective.goal),
    settled: true,
  });
}
