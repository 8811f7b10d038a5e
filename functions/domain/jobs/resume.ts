/**
 * `POST …/resume`, by the job's status (the lifecycle's RESUME table says which does what):
 *  - paused: the job goes back to `queued` and is dispatched again; the runner continues from its
 *    newest checkpoint, the provider moves it to `running` when it actually runs;
 *  - failed, with checkpoints: a new job continues from the newest one. The failed job stays
 *    failed (terminal statuses never change) and points at its continuation, so asking again
 *    answers the same new job rather than starting another.
 */
import { ConflictError, ValidationError } from '../../errors';
import { appendJobEvent, resumeMode, transitionJob } from '../lifecycle';
import type { JobRecord, TenantId } from '../records';
import { getJob, notStartedFields, submit, type JobDeps } from './service';

/** Providers whose jobs run our trainer, which can start from another job's checkpoint. */
const CONTINUABLE_PROVIDERS = new Set<JobRecord['provider']>(['local', 'batch']);

export async function resumeJob(deps: JobDeps, tenantId: TenantId, id: string): Promise<JobRecord> {
  const job = await getJob(deps, tenantId, id);
  const mode = resumeMode(job.status);
  if (mode === 'continue_as_new_job') return continueFailedJob(deps, job);
  if (mode !== 'requeue') {
    throw new ConflictError(
      `Only paused jobs, and failed jobs with a checkpoint, can be resumed; job ${id} is ${job.status}.`,
      'job_not_resumable',
    );
  }
  const { job: queued } = await transitionJob(deps, id, 'queued', {
    expectedStatus: 'paused',
    reason: 'Fine-tuning job resumed by the user',
  });
  const dispatcher = deps.dispatchers?.[job.provider];
  if (!dispatcher) return queued;
  if (!dispatcher.resume) return submit(deps, queued, { resubmit: true });
  try {
    const out = await dispatcher.resume(queued);
    if (out?.providerJobId) {
      // Re-read: a late event of the attempt the pause stopped may have touched the job meanwhile.
      const now = (await deps.stores.jobs.getById(id)) ?? queued;
      return await deps.stores.jobs.update(
        id,
        { version: now.version, status: 'queued' },
        { providerJobId: out.providerJobId },
      );
    }
  } catch (err) {
    deps.onDispatchError?.(queued, 'resume', err);
  }
  return (await deps.stores.jobs.getById(id)) ?? queued;
}

async function continueFailedJob(deps: JobDeps, failed: JobRecord): Promise<JobRecord> {
  if (failed.resumedAs) {
    const existing = await deps.stores.jobs.getById(failed.resumedAs);
    if (existing) return existing;
  }
  if (!CONTINUABLE_PROVIDERS.has(failed.provider)) {
    throw new ValidationError(
      `Jobs of provider "${failed.provider}" cannot continue from a checkpoint here; create a new job with a checkpoint's fine_tuned_model_checkpoint as its model.`,
      'fine_tuning_job_id',
      'unsupported_by_provider',
    );
  }
  const newest = (await deps.stores.checkpoints.list(failed.id, { limit: 1 })).items[0];
  if (!newest) {
    throw new ConflictError(
      `Job ${failed.id} failed before saving a checkpoint (no checkpoint to resume from); create the job again.`,
      'job_not_resumable',
    );
  }
  // The continuation's id is claimed on the failed job first (a conditional write), so two
  // resumes racing, or a retry after a crash, end with one continuation.
  let claimedId = failed.resumedAs ?? deps.ids.next('ftjob-');
  if (!failed.resumedAs) {
    try {
      await deps.stores.jobs.update(
        failed.id,
        { version: failed.version, status: 'failed' },
        { resumedAs: claimedId },
      );
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const now = await deps.stores.jobs.getById(failed.id);
      if (!now?.resumedAs) throw err;
      claimedId = now.resumedAs;
      const existing = await deps.stores.jobs.getById(claimedId);
      if (existing) return existing;
    }
  }
  const now = Math.floor(deps.clock.nowMs() / 1000);
  const next: JobRecord = {
    id: claimedId,
    tenantId: failed.tenantId,
    provider: failed.provider,
    model: failed.model,
    trainingFile: failed.trainingFile,
    validationFile: failed.validationFile,
    method: failed.method,
    ...(failed.modelConfig ? { modelConfig: failed.modelConfig } : {}),
    // The same resolved values (batch size included), or the checkpoint would not fit the run.
    resolvedHyperparameters: failed.resolvedHyperparameters,
    autoExplanations: failed.autoExplanations,
    suffix: failed.suffix,
    seed: failed.seed,
    metadata: failed.metadata,
    ...notStartedFields(now),
    progress: {
      step: newest.stepNumber,
      totalSteps: failed.progress?.totalSteps ?? 0,
      epoch: failed.progress?.epoch ?? 0,
    },
    resumedFrom: { jobId: failed.id, step: newest.stepNumber },
  };
  try {
    await deps.stores.jobs.create(next);
  } catch (err) {
    // A retry after a crash between the claim and here, racing another: the job exists.
    if (!(err instanceof ConflictError)) throw err;
    const existing = await deps.stores.jobs.getById(claimedId);
    if (existing) return existing;
    throw err;
  }
  await appendJobEvent(deps, failed, {
    message: `Resumed as ${next.id} from its checkpoint at step ${newest.stepNumber}`,
    data: { resumed_as: next.id, step: newest.stepNumber },
    dedupeKey: `resumed-as:${next.id}`,
    createdAt: now,
  });
  await appendJobEvent(deps, next, {
    message: `Created fine-tuning job: ${next.id}, continuing ${failed.id} from its checkpoint at step ${newest.stepNumber}`,
    data: { resumed_from: failed.id, step: newest.stepNumber },
    dedupeKey: 'created',
    createdAt: now,
  });
  const { job: queued } = await transitionJob(deps, next.id, 'queued', {
    expectedStatus: 'validating_files',
    reason: `Job queued to continue ${failed.id} from step ${newest.stepNumber}`,
  });
  return submit(deps, queued);
}
