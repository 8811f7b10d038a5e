/**
 * Job operations for a tenant. Status changes go through the lifecycle module (`transitionJob`:
 * conditional writes, events, outbox); a provider's dispatcher, when one is configured, is told
 * after the status write, so the stored status is always the authority.
 */
import { randomInt } from 'node:crypto';
import type { JobCreate } from '../../../openapi/schemas/job';
import { ConflictError, NotFoundError, ValidationError } from '../../errors';
import type { Clock, IdGenerator } from '../../ports/clock';
import type { Dispatcher } from '../../ports/dispatcher';
import type {
  CheckpointStore,
  JobEventStore,
  JobListFilters,
  JobStore,
  ListOptions,
  OutboxStore,
} from '../../ports/store';
import { submitQueuedJob, type SubmitOptions } from '../dispatch';
import { appendJobEvent, isTerminal, transitionJob } from '../lifecycle';
import type { JobRecord, Page, Provider, TenantId } from '../records';
import { planJob, type PlanDeps } from './plan';

export interface JobDeps extends PlanDeps {
  stores: PlanDeps['stores'] & {
    jobs: JobStore;
    events: JobEventStore;
    outbox: OutboxStore;
    checkpoints: CheckpointStore;
  };
  clock: Clock;
  ids: IdGenerator;
  dispatchers?: Partial<Record<Provider, Dispatcher>>;
  /** Dispatcher failures are logged, not returned: the job stays `queued` for a reconciler to resubmit. */
  onDispatchError?: (job: JobRecord, action: string, err: unknown) => void;
}

export async function getJob(
  deps: Pick<JobDeps, 'stores'>,
  tenantId: TenantId,
  id: string,
): Promise<JobRecord> {
  const job = await deps.stores.jobs.get(tenantId, id);
  if (!job) throw new NotFoundError('fine-tuning job', id, 'fine_tuning_job_id');
  return job;
}

export function listJobs(
  deps: Pick<JobDeps, 'stores'>,
  tenantId: TenantId,
  opts: ListOptions & Omit<JobListFilters, 'sweepId'>,
): Promise<Page<JobRecord>> {
  return deps.stores.jobs.list(tenantId, opts);
}

/**
 * Hands a queued job to its provider (docs/ARCHITECTURE.md, "The shape of the system"). Without
 * dispatchers (an API with no workers wired) jobs wait in `queued`. An unreachable provider leaves
 * the job queued for the reconciler; one that refuses the job fails it with the provider's reason
 * (functions/domain/dispatch).
 */
export async function submit(deps: JobDeps, job: JobRecord, opts: SubmitOptions = {}): Promise<JobRecord> {
  if (!deps.dispatchers) return job;
  try {
    return await submitQueuedJob(deps, deps.dispatchers, job, opts);
  } catch (err) {
    deps.onDispatchError?.(job, 'submit', err);
    return (await deps.stores.jobs.getById(job.id)) ?? job;
  }
}

/** Set by callers that create jobs on a user's behalf (sweeps): a pre-allocated id and the sweep tag. */
export interface CreateJobOptions {
  /** Use this id (e.g. one a sweep recorded before creating the job, so a retry finds it). */
  id?: string;
  sweepId?: string;
}

/** Creates the job in `validating_files`, checks what needs checking, and moves it to `queued`. */
export async function createJob(
  deps: JobDeps,
  tenantId: TenantId,
  req: JobCreate,
  opts: CreateJobOptions = {},
): Promise<JobRecord> {
  const seed = req.seed ?? randomInt(0, 2_147_483_647);
  const plan = await planJob(deps, tenantId, req, seed);
  if (deps.dispatchers && !deps.dispatchers[plan.provider]) {
    const available = Object.keys(deps.dispatchers).join(', ');
    throw new ValidationError(
      `Provider '${plan.provider}' is not configured on this deployment (available: ${available}).`,
      'provider',
      'provider_unavailable',
    );
  }
  const now = Math.floor(deps.clock.nowMs() / 1000);
  const job: JobRecord = {
    id: opts.id ?? deps.ids.next('ftjob-'),
    tenantId,
    provider: plan.provider,
    model: req.model,
    trainingFile: plan.trainingFile.id,
    validationFile: plan.validationFile?.id ?? null,
    method: { type: plan.method, hyperparameters: plan.requested as Record<string, unknown> },
    resolvedHyperparameters: plan.resolution.hyperparameters as unknown as Record<string, unknown>,
    autoExplanations: plan.resolution.explanations,
    suffix: req.suffix ?? null,
    ...(req.model_config ? { modelConfig: req.model_config } : {}),
    seed,
    metadata: req.metadata ?? {},
    ...notStartedFields(now),
    progress: { step: 0, totalSteps: plan.resolution.totalSteps, epoch: 0 },
    ...(opts.sweepId ? { sweepId: opts.sweepId } : {}),
  };
  await deps.stores.jobs.create(job);
  await appendJobEvent(deps, job, {
    message: `Created fine-tuning job: ${job.id}`,
    dedupeKey: 'created',
    createdAt: now,
  });
  // The files were validated when uploaded and the plan re-checked them: nothing left to wait for.
  const { job: queued } = await transitionJob(deps, job.id, 'queued', {
    expectedStatus: 'validating_files',
    reason: `Files validated (${plan.trainingFile.exampleCount} training examples); job queued`,
  });
  return submit(deps, queued);
}

/** What a job record holds before it first runs: a new job's and a resumed one's alike. */
export function notStartedFields(
  now: number,
): Pick<
  JobRecord,
  | 'status'
  | 'version'
  | 'createdAt'
  | 'startedAt'
  | 'finishedAt'
  | 'estimatedFinish'
  | 'fineTunedModel'
  | 'trainedTokens'
  | 'resultFiles'
  | 'error'
  | 'providerJobId'
> {
  return {
    status: 'validating_files',
    version: 1,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    estimatedFinish: null,
    fineTunedModel: null,
    trainedTokens: null,
    resultFiles: [],
    error: null,
    providerJobId: null,
  };
}

export async function cancelJob(deps: JobDeps, tenantId: TenantId, id: string): Promise<JobRecord> {
  const job = await getJob(deps, tenantId, id);
  if (isTerminal(job.status)) {
    throw new ConflictError(
      `Job ${id} has already ${job.status === 'succeeded' ? 'succeeded' : job.status}; it cannot be cancelled.`,
      'job_not_cancellable',
    );
  }
  const { job: cancelled } = await transitionJob(deps, id, 'cancelled', {
    reason: 'Fine-tuning job cancelled by the user',
  });
  const dispatcher = deps.dispatchers?.[job.provider];
  if (dispatcher && job.status !== 'validating_files') {
    await dispatcher.cancel(cancelled).catch((err) => deps.onDispatchError?.(cancelled, 'cancel', err));
  }
  return cancelled;
}

export async function pauseJob(deps: JobDeps, tenantId: TenantId, id: string): Promise<JobRecord> {
  const job = await getJob(deps, tenantId, id);
  if (job.status !== 'running') {
    throw new ConflictError(
      `Only running jobs can be paused; job ${id} is ${job.status}.`,
      'job_not_pausable',
    );
  }
  const dispatcher = deps.dispatchers?.[job.provider];
  if (dispatcher && !dispatcher.pause) {
    throw new ValidationError(
      `Provider "${job.provider}" cannot pause jobs.`,
      'fine_tuning_job_id',
      'unsupported_by_provider',
    );
  }
  const { job: paused } = await transitionJob(deps, id, 'paused', {
    expectedStatus: 'running',
    reason: 'Fine-tuning job paused by the user',
  });
  if (dispatcher?.pause)
    await dispatcher.pause(paused).catch((err) => deps.onDispatchError?.(paused, 'pause', err));
  return paused;
}

export async function listJobEvents(deps: JobDeps, tenantId: TenantId, id: string, opts: ListOptions) {
  await getJob(deps, tenantId, id);
  return deps.stores.events.list(id, opts);
}

export async function listJobCheckpoints(deps: JobDeps, tenantId: TenantId, id: string, opts: ListOptions) {
  await getJob(deps, tenantId, id);
  return deps.stores.checkpoints.list(id, opts);
}

/** The blob key of a checkpoint's weights; a 404 naming the checkpoint when the job has no such one. */
export async function checkpointWeightsKey(
  deps: JobDeps,
  tenantId: TenantId,
  jobId: string,
  checkpointId: string,
): Promise<string> {
  await getJob(deps, tenantId, jobId);
  // A job keeps a handful of checkpoints (keep_checkpoints ≤ 20, plus the newest).
  let after: string | undefined;
  for (;;) {
    const page = await deps.stores.checkpoints.list(jobId, { after, limit: 100 });
    const found = page.items.find((c) => c.id === checkpointId);
    if (found) return `${found.blobPrefix.replace(/\/+$/, '')}/model.safetensors`;
    if (!page.hasMore || page.items.length === 0) break;
    after = page.items.at(-1)!.id;
  }
  throw new NotFoundError('checkpoint', checkpointId, 'checkpoint_id');
}
