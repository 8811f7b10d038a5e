/**
 * Mirroring a job that runs at a provider which keeps its own state (OpenAI): status, events,
 * checkpoints, trained tokens and the fine-tuned model are copied into our job. Driven both by
 * the provider's webhooks and by polling; both paths call `syncMirroredJob`, which is idempotent
 * (events and checkpoints keep ids derived from the provider's, status moves through the
 * lifecycle's conditional transitions), so running it twice or out of order does no harm.
 */
import { createHash } from 'node:crypto';
import { ConflictError } from '../../errors';
import type { JobRecord, JobStatus } from '../records';
import { appendJobEvent, isTerminal, transitionJob, type JobPatch } from '../lifecycle';
import type { DispatchDeps } from './deps';

export interface RemoteJob {
  id: string;
  status: string;
  fine_tuned_model?: string | null;
  trained_tokens?: number | null;
  estimated_finish?: number | null;
  error?: { code?: string | null; message?: string | null; param?: string | null } | null;
  /** We tag provider jobs with `tuneplane_job_id` so a webhook about one leads back to ours. */
  metadata?: Record<string, string> | null;
}

export interface RemoteEvent {
  id: string;
  created_at: number;
  level: string;
  message: string;
  type?: string;
  data?: unknown;
}

export interface RemoteCheckpoint {
  id: string;
  created_at: number;
  step_number: number;
  fine_tuned_model_checkpoint: string;
  metrics: Record<string, number | undefined | null>;
}

/** What a mirrored provider lets us read about one of its jobs. */
export interface ProviderMirror {
  retrieve(providerJobId: string): Promise<RemoteJob>;
  /** Every event, oldest first. */
  events(providerJobId: string): Promise<RemoteEvent[]>;
  checkpoints(providerJobId: string): Promise<RemoteCheckpoint[]>;
}

/** The provider's statuses in ours; OpenAI's `validating_files` and `queued` are both "waiting" to us. */
const STATUS_MAP: Record<string, JobStatus> = {
  validating_files: 'queued',
  queued: 'queued',
  running: 'running',
  paused: 'paused',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 24);
}

export interface SyncResult {
  status: JobStatus;
  newEvents: number;
  newCheckpoints: number;
}

export async function syncMirroredJob(
  deps: DispatchDeps,
  mirror: ProviderMirror,
  job: JobRecord,
): Promise<SyncResult> {
  if (!job.providerJobId) return { status: job.status, newEvents: 0, newCheckpoints: 0 };
  const remote = await mirror.retrieve(job.providerJobId);
  const [events, checkpoints] = await Promise.all([
    mirror.events(job.providerJobId),
    mirror.checkpoints(job.providerJobId),
  ]);

  for (const e of events) {
    const data = e.data && typeof e.data === 'object' ? (e.data as Record<string, unknown>) : null;
    await appendJobEvent(deps, job, {
      message: e.message,
      level: e.level === 'error' ? 'error' : e.level === 'warn' ? 'warn' : 'info',
      type: e.type === 'metrics' ? 'metrics' : 'message',
      data,
      createdAt: e.created_at,
      dedupeKey: `provider:${e.id}`,
    });
  }
  for (const c of checkpoints) {
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(c.metrics)) if (typeof v === 'number') metrics[k] = v;
    await deps.stores.checkpoints.put({
      id: `ftckpt-${shortHash(`${job.id}:${c.id}`)}`,
      jobId: job.id,
      tenantId: job.tenantId,
      createdAt: c.created_at,
      stepNumber: c.step_number,
      metrics,
      fineTunedModelCheckpoint: c.fine_tuned_model_checkpoint,
      blobPrefix: '',
    });
  }

  const target = STATUS_MAP[remote.status];
  const current = (await deps.stores.jobs.getById(job.id)) ?? job;
  const progress: JobPatch = {};
  if (remote.trained_tokens != null) progress.trainedTokens = remote.trained_tokens;
  if (remote.estimated_finish != null) progress.estimatedFinish = remote.estimated_finish;
  if (target && target !== current.status && !isTerminal(current.status)) {
    const patch: JobPatch = { ...progress };
    if (target === 'succeeded') patch.fineTunedModel = remote.fine_tuned_model ?? null;
    if (target === 'failed') {
      patch.error = {
        code: remote.error?.code ?? 'provider_failed',
        message: remote.error?.message ?? 'The job failed at OpenAI.',
        param: remote.error?.param ?? null,
      };
    }
    // Reaching `succeeded` from `queued` passes through `running`, as our table requires.
    if ((target === 'succeeded' || target === 'paused') && current.status === 'queued') {
      await moveTolerantly(deps, job.id, 'running', {});
    }
    await moveTolerantly(
      deps,
      job.id,
      target,
      patch,
      target === 'failed' ? `The job failed at OpenAI: ${patch.error?.message}` : undefined,
    );
  } else if (Object.keys(progress).length && !isTerminal(current.status)) {
    try {
      await deps.stores.jobs.update(job.id, { version: current.version }, progress);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  const after = (await deps.stores.jobs.getById(job.id)) ?? current;
  return { status: after.status, newEvents: events.length, newCheckpoints: checkpoints.length };
}

async function moveTolerantly(
  deps: DispatchDeps,
  jobId: string,
  to: JobStatus,
  patch: JobPatch,
  reason?: string,
) {
  try {
    await transitionJob(deps, jobId, to, { patch, reason });
  } catch (err) {
    // A concurrent sync or a user's cancel got there first; the next sync sees the result.
    if (!(err instanceof ConflictError)) throw err;
  }
}

/** Polling fallback: sync every non-terminal job of the provider. */
export async function pollMirroredJobs(
  deps: DispatchDeps,
  mirror: ProviderMirror,
  provider: JobRecord['provider'],
  limit = 200,
): Promise<Record<string, JobStatus | 'error'>> {
  const jobs = (await deps.stores.jobs.listByStatus(['queued', 'running', 'paused'], limit)).filter(
    (j) => j.provider === provider && j.providerJobId,
  );
  const out: Record<string, JobStatus | 'error'> = {};
  for (const job of jobs) {
    try {
      out[job.id] = (await syncMirroredJob(deps, mirror, job)).status;
    } catch {
      // One provider hiccup must not stop the others; the next poll tries again.
      out[job.id] = 'error';
    }
  }
  return out;
}

/**
 * A provider webhook said something happened to one of its jobs: find ours through the tag we
 * put on it, and sync. Unknown or foreign jobs are ignored (the webhook is still acknowledged).
 */
export async function syncByProviderJobId(
  deps: DispatchDeps,
  mirror: ProviderMirror,
  providerJobId: string,
): Promise<SyncResult | null> {
  const remote = await mirror.retrieve(providerJobId);
  const ourId = remote.metadata?.tuneplane_job_id;
  if (!ourId) return null;
  const job = await deps.stores.jobs.getById(ourId);
  if (!job || job.providerJobId !== providerJobId) return null;
  return syncMirroredJob(deps, mirror, job);
}
