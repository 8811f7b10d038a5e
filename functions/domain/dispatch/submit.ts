/**
 * Handing a queued job to its provider and remembering the provider's id for it.
 */
import { ConflictError, UpstreamError } from '../../errors';
import type { Dispatcher } from '../../ports/dispatcher';
import type { JobRecord, Provider } from '../records';
import { appendJobEvent, isTerminal, transitionJob } from '../lifecycle';
import type { DispatchDeps } from './deps';

export type Dispatchers = Partial<Record<Provider, Dispatcher>>;

/**
 * Submits a queued job. The provider id is stored with a conditional write on the version we
 * read, so two racing submits cannot both record an id. A provider that refuses the job fails
 * it with the provider's reason (the user sees why); one that cannot be reached leaves it queued
 * for the reconciler to submit again.
 */
export interface SubmitOptions {
  /**
   * Submit even though the job has a provider id: a resumed job whose provider has no `resume`
   * starts over as a new provider job (continuing from its checkpoint).
   */
  resubmit?: boolean;
}

export async function submitQueuedJob(
  deps: DispatchDeps,
  dispatchers: Dispatchers,
  job: JobRecord,
  opts: SubmitOptions = {},
): Promise<JobRecord> {
  const dispatcher = dispatchers[job.provider];
  if (!dispatcher) {
    await transitionJob(deps, job.id, 'failed', {
      reason: `No dispatcher is configured for provider '${job.provider}' on this deployment.`,
      patch: {
        error: {
          code: 'provider_unavailable',
          message: `Provider '${job.provider}' is not configured.`,
          param: 'provider',
        },
      },
    });
    return (await deps.stores.jobs.getById(job.id))!;
  }
  if (job.status !== 'queued' || (job.providerJobId && !opts.resubmit)) return job;
  let providerJobId: string;
  try {
    ({ providerJobId } = await dispatcher.submit(opts.resubmit ? { ...job, providerJobId: null } : job));
  } catch (err) {
    const message = (err as Error).message;
    if (err instanceof UpstreamError) {
      // The provider could not be reached: the job stays queued and the reconciler submits it again.
      await appendJobEvent(deps, job, {
        level: 'warn',
        message: `Could not reach ${job.provider} yet (${message}); will retry.`,
        dedupeKey: `submit-retry:${job.version}`,
      });
      return job;
    }
    await transitionJob(deps, job.id, 'failed', {
      reason: `The job could not be started: ${message}`,
      patch: { error: { code: 'dispatch_failed', message, param: null } },
    }).catch((e) => {
      if (!(e instanceof ConflictError)) throw e;
    });
    return (await deps.stores.jobs.getById(job.id))!;
  }
  try {
    const updated = await deps.stores.jobs.update(
      job.id,
      { version: job.version, status: 'queued' },
      { providerJobId },
    );
    await appendJobEvent(deps, job, {
      message: `Submitted to ${job.provider} (${providerJobId})`,
      dedupeKey: `submitted:${providerJobId}`,
    });
    return updated;
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    // The job changed since we read it — often its container already marked it running. Keep the
    // provider's id unless another submit recorded one: without it the reconciler cannot see the
    // provider job and cancel cannot stop it.
    const now = (await deps.stores.jobs.getById(job.id))!;
    if (now.providerJobId || isTerminal(now.status)) return now;
    try {
      return await deps.stores.jobs.update(
        job.id,
        { version: now.version, status: now.status },
        { providerJobId },
      );
    } catch (e) {
      if (e instanceof ConflictError) return (await deps.stores.jobs.getById(job.id))!;
      throw e;
    }
  }
}

/**
 * Queued jobs of `provider` that never got a provider id — their submit could not reach the
 * provider (an outage, a timeout) — are submitted again once they have waited `afterMs`.
 * Without this only Batch jobs were retried (reconcileBatchJobs); an OpenAI job queued during an
 * outage stayed `queued` for ever, because mirroring only polls jobs that have a provider id.
 */
export async function submitUnsubmittedJobs(
  deps: DispatchDeps,
  dispatchers: Dispatchers,
  provider: Provider,
  opts: { afterMs: number; limit?: number },
): Promise<string[]> {
  const now = deps.clock.nowMs();
  const jobs = (await deps.stores.jobs.listByStatus(['queued'], opts.limit ?? 200)).filter(
    (j) =>
      j.provider === provider &&
      !j.providerJobId &&
      now - (j.lastTransition?.atMs ?? j.createdAt * 1000) >= opts.afterMs,
  );
  const submitted: string[] = [];
  for (const job of jobs) {
    const after = await submitQueuedJob(deps, dispatchers, job);
    if (after.providerJobId) submitted.push(job.id);
  }
  return submitted;
}
