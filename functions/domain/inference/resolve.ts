/**
 * Which weights a generation request's `model` names, for the tenant asking: a base model, one of
 * its fine-tuned models (`ft:…`), or a checkpoint of one of its jobs (`ft:…:ckpt-step-N`, the
 * checkpoint's `fine_tuned_model_checkpoint`). Another tenant's model or checkpoint, a deleted model
 * and its checkpoints are all "not found": the answer never tells them apart.
 */
import type { ModelLocation } from '../../../openapi/inference';
import { NotFoundError } from '../../errors';
import type { Stores } from '../../ports/store';
import type { TenantId } from '../records';

const CHECKPOINT = /^(ft:.+):ckpt-step-(\d+)$/;

const folderOf = (blobPrefix: string) => (blobPrefix.endsWith('/') ? blobPrefix : `${blobPrefix}/`);

export async function resolveModel(
  stores: Pick<Stores, 'models' | 'jobs' | 'checkpoints'>,
  tenantId: TenantId,
  name: string,
): Promise<ModelLocation> {
  const notFound = () => new NotFoundError('model', name, 'model');
  const ckpt = CHECKPOINT.exec(name);
  if (!ckpt) {
    const model = await stores.models.get(tenantId, name);
    if (!model || model.deleted) throw notFound();
    return { name, folder: folderOf(model.blobPrefix) };
  }
  const [, modelId, step] = ckpt;
  // A fine-tuned model's id ends with its job's id (runner/entry/publish.ts fineTunedModelId).
  const jobId = `ftjob-${modelId.slice(modelId.lastIndexOf(':') + 1)}`;
  const job = await stores.jobs.get(tenantId, jobId);
  if (!job) throw notFound();
  const tuned = await stores.models.get(tenantId, modelId);
  if (tuned?.deleted) throw notFound();
  const checkpoint = await findCheckpoint(stores, jobId, name, Number(step));
  const base = await stores.models.get(tenantId, job.model);
  if (!checkpoint || !base || base.deleted) throw notFound();
  // The checkpoint holds weights only: configuration, tokenizer and chat template are its base's,
  // which are the ones it was trained with.
  return {
    name,
    folder: folderOf(base.blobPrefix),
    weights: `${folderOf(checkpoint.blobPrefix)}model.safetensors`,
  };
}

async function findCheckpoint(
  stores: Pick<Stores, 'checkpoints'>,
  jobId: string,
  name: string,
  step: number,
) {
  let after: string | undefined;
  for (;;) {
    const page = await stores.checkpoints.list(jobId, { limit: 100, after });
    const hit = page.items.find((c) => c.stepNumber === step && c.fineTunedModelCheckpoint === name);
    if (hit || !page.hasMore || page.items.length === 0) return hit;
    after = page.items[page.items.length - 1].id;
  }
}
