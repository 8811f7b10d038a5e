/**
 * OpenAI as a provider: our job becomes an OpenAI fine-tuning job. We upload its files, create
 * the job with the hyperparameters OpenAI understands, forward cancel/pause/resume, and read its
 * state back (`ProviderMirror`) so the domain can mirror it into our job.
 */
import OpenAI, { toFile } from 'openai';
import type { JobRecord } from '../../domain/records';
import type { ProviderMirror, RemoteCheckpoint, RemoteEvent, RemoteJob } from '../../domain/dispatch/mirror';
import type { Dispatcher } from '../../ports/dispatcher';
import type { BlobStore } from '../../ports/blobs';
import type { FileStore } from '../../ports/store';
import { ProviderRejectedError, UpstreamError } from '../../errors';

export interface OpenAiDispatcherDeps {
  client: OpenAI;
  files: FileStore;
  blobs: BlobStore;
}

function wrap(action: string, err: unknown): Error {
  if (
    err instanceof OpenAI.APIError &&
    err.status !== undefined &&
    err.status >= 400 &&
    err.status < 500 &&
    err.status !== 429
  ) {
    return new ProviderRejectedError(`OpenAI ${action} failed: ${err.message}`, err);
  }
  return new UpstreamError(`OpenAI ${action} failed: ${(err as Error).message}`, { cause: err });
}

/** The subset of our hyperparameters that OpenAI's method accepts (the API rejects the rest up front). */
export function openAiHyperparameters(job: JobRecord): {
  n_epochs?: number;
  batch_size?: number;
  learning_rate_multiplier?: number;
  beta?: number;
} {
  const requested = job.method.hyperparameters;
  const resolved = job.resolvedHyperparameters;
  const pick = (k: string): number | undefined => {
    // Values the user left `auto` stay `auto` at OpenAI, which resolves them with its own heuristics.
    if (requested[k] === undefined || requested[k] === 'auto') return undefined;
    const v = resolved[k] ?? requested[k];
    return typeof v === 'number' ? v : undefined;
  };
  const out: { n_epochs?: number; batch_size?: number; learning_rate_multiplier?: number; beta?: number } =
    {};
  const n = pick('n_epochs');
  const b = pick('batch_size');
  const lr = pick('learning_rate_multiplier');
  if (n !== undefined) out.n_epochs = n;
  if (b !== undefined) out.batch_size = b;
  if (lr !== undefined) out.learning_rate_multiplier = lr;
  if (job.method.type === 'dpo') {
    const beta = pick('beta');
    if (beta !== undefined) out.beta = beta;
  }
  return out;
}

export function openAiDispatcher(deps: OpenAiDispatcherDeps): Dispatcher & ProviderMirror {
  const { client } = deps;

  async function upload(job: JobRecord, fileId: string): Promise<string> {
    const file = await deps.files.get(job.tenantId, fileId);
    if (!file) throw new ProviderRejectedError(`File ${fileId} no longer exists.`);
    const bytes = await deps.blobs.get(file.blobKey);
    try {
      // Keyed by our job and file, so a retried submit is recognisable as a repeat where the
      // provider honours Idempotency-Key (the openai SDK sends it only when asked explicitly).
      const created = await client.files.create(
        { file: await toFile(bytes, file.filename), purpose: 'fine-tune' },
        { headers: { 'Idempotency-Key': `tuneplane-${job.id}-${fileId}` } },
      );
      return created.id;
    } catch (err) {
      throw wrap('file upload', err);
    }
  }

  return {
    async submit(job) {
      if (job.providerJobId) return { providerJobId: job.providerJobId };
      const trainingFile = await upload(job, job.trainingFile);
      const validationFile = job.validationFile ? await upload(job, job.validationFile) : undefined;
      try {
        const created = await client.fineTuning.jobs.create(
          {
            model: job.model,
            training_file: trainingFile,
            ...(validationFile ? { validation_file: validationFile } : {}),
            ...(job.suffix ? { suffix: job.suffix } : {}),
            seed: job.seed,
            // DPO goes to OpenAI as OpenAI's own method, with the values the user set (the rest stay auto).
            method:
              job.method.type === 'dpo'
                ? { type: 'dpo', dpo: { hyperparameters: openAiHyperparameters(job) } }
                : { type: 'supervised', supervised: { hyperparameters: openAiHyperparameters(job) } },
            metadata: { tuneplane_job_id: job.id },
          },
          { headers: { 'Idempotency-Key': `tuneplane-${job.id}` } },
        );
        return { providerJobId: created.id };
      } catch (err) {
        throw wrap('job creation', err);
      }
    },
    async cancel(job) {
      if (!job.providerJobId) return;
      try {
        await client.fineTuning.jobs.cancel(job.providerJobId);
      } catch (err) {
        throw wrap('cancel', err);
      }
    },
    async pause(job) {
      if (!job.providerJobId) return;
      try {
        await client.fineTuning.jobs.pause(job.providerJobId);
      } catch (err) {
        throw wrap('pause', err);
      }
    },
    async resume(job) {
      if (!job.providerJobId) return;
      try {
        await client.fineTuning.jobs.resume(job.providerJobId);
      } catch (err) {
        throw wrap('resume', err);
      }
    },

    async retrieve(id): Promise<RemoteJob> {
      try {
        return await client.fineTuning.jobs.retrieve(id);
      } catch (err) {
        throw wrap('retrieve', err);
      }
    },
    async events(id): Promise<RemoteEvent[]> {
      const out: RemoteEvent[] = [];
      try {
        for await (const e of client.fineTuning.jobs.listEvents(id, { limit: 100 })) out.push(e);
      } catch (err) {
        throw wrap('list events', err);
      }
      return out.reverse();
    },
    async checkpoints(id): Promise<RemoteCheckpoint[]> {
      const out: RemoteCheckpoint[] = [];
      try {
        for await (const c of client.fineTuning.jobs.checkpoints.list(id, { limit: 100 })) {
          out.push({ ...c, metrics: { ...c.metrics } });
        }
      } catch (err) {
        throw wrap('list checkpoints', err);
      }
      return out.reverse();
    },
  };
}
