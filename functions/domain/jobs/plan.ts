/**
 * Everything a job request needs checked and resolved before anything is created: the files
 * (present, this tenant's, validated, fine-tune purpose), the base model, the hyperparameters
 * (rules, then every `auto`). Shared by job creation and the estimate (dry run).
 */
import type { MethodType } from '../../../openapi/enums';
import type { DpoHyperparameters } from '../../../openapi/schemas/dpo';
import type { JobCreate } from '../../../openapi/schemas/job';
import { ValidationError } from '../../errors';
import type { BlobStore } from '../../ports/blobs';
import type { FileStore } from '../../ports/store';
import { everyExampleHasWeight } from '../files';
import { FIXED_DEFAULTS, resolveHyperparameters, type Resolution } from '../hyperparameters';
import { applyModelConfig, type BaseModelCatalog, type BaseModelInfo } from '../models';
import type { FileRecord, Provider, TenantId } from '../records';

export interface PlanDeps {
  stores: { files: FileStore };
  blobs: BlobStore;
  models: BaseModelCatalog;
  defaultProvider: Provider;
}

export interface JobPlan {
  provider: Provider;
  model: BaseModelInfo;
  trainingFile: FileRecord;
  validationFile: FileRecord | null;
  /** `supervised`, or `dpo` on preference pairs. */
  method: MethodType;
  /** As requested (`beta` and `label_smoothing` only for DPO). */
  requested: DpoHyperparameters;
  resolution: Resolution;
}

/** OpenAI's fine-tunable models are not in our model store; OpenAI sizes them itself. */
function openAiModel(id: string): BaseModelInfo {
  return {
    id,
    contextLength: 65_536,
    defaultLearningRate: 1e-4,
    parameterCount: 0,
    hiddenSize: 0,
    layers: 0,
    source: "OpenAI's training-example limit",
    learningRateSource: 'nominal: OpenAI applies the multiplier to its own base rate',
  };
}

async function usableFile(
  deps: PlanDeps,
  tenantId: TenantId,
  id: string,
  param: string,
): Promise<FileRecord> {
  const file = await deps.stores.files.get(tenantId, id);
  if (!file || file.deleted)
    throw new ValidationError(`${param}: no file found with id '${id}'.`, param, 'file_not_found');
  if (file.purpose !== 'fine-tune') {
    throw new ValidationError(
      `${param}: file '${id}' has purpose '${file.purpose}'; upload it with purpose 'fine-tune'.`,
      param,
      'invalid_file_purpose',
    );
  }
  if (file.status !== 'processed') {
    throw new ValidationError(
      `${param}: file '${id}' failed validation and cannot be used: ${file.statusDetails ?? file.status}`,
      param,
      'invalid_file',
    );
  }
  return file;
}

/** The method, which hyperparameters the request set, and the field path they came under. */
export function requestedHyperparameters(req: JobCreate): {
  method: MethodType;
  requested: DpoHyperparameters;
  prefix: string;
} {
  const m = req.method;
  const method = m?.type ?? 'supervised';
  const fromMethod = m?.type === 'dpo' ? m.dpo?.hyperparameters : m?.supervised?.hyperparameters;
  const prefix = `method.${method}.hyperparameters`;
  if (req.hyperparameters && fromMethod) {
    throw new ValidationError(
      `hyperparameters: the deprecated top-level hyperparameters and ${prefix} cannot both be set; use method.`,
      'hyperparameters',
    );
  }
  if (req.hyperparameters) return { method, requested: req.hyperparameters, prefix: 'hyperparameters' };
  return { method, requested: fromMethod ?? {}, prefix };
}

/** DPO trains on preference pairs and only DPO does: a 400 naming method.type when they do not meet. */
function checkMethodFitsData(method: MethodType, file: FileRecord): void {
  if (method === 'dpo' && file.format !== 'preference') {
    throw new ValidationError(
      `method.type: "dpo" trains on preference pairs (input, preferred_output, non_preferred_output) but training_file '${file.id}' holds ${file.format} data`,
      'method.type',
    );
  }
  if (method !== 'dpo' && file.format === 'preference') {
    throw new ValidationError(
      `method.type: training_file '${file.id}' holds preference pairs, which train with method {"type": "dpo"} (got "${method}")`,
      'method.type',
    );
  }
}

export async function planJob(
  deps: PlanDeps,
  tenantId: TenantId,
  req: JobCreate,
  seed: number,
): Promise<JobPlan> {
  const provider = req.provider ?? deps.defaultProvider;
  const described = await deps.models.describe(tenantId, req.model);
  if (!described && provider !== 'openai') {
    throw new ValidationError(
      `model: no base model '${req.model}' is available; GET /v1/models lists them.`,
      'model',
      'model_not_found',
    );
  }
  const base = described ?? openAiModel(req.model);
  const model = req.model_config ? applyModelConfig(base, req.model_config) : base;
  const trainingFile = await usableFile(deps, tenantId, req.training_file, 'training_file');
  const validationFile = req.validation_file
    ? await usableFile(deps, tenantId, req.validation_file, 'validation_file')
    : null;
  if (validationFile && validationFile.format !== trainingFile.format) {
    throw new ValidationError(
      `validation_file: holds ${validationFile.format} data but training_file holds ${trainingFile.format} data`,
      'validation_file',
    );
  }
  const { method, requested, prefix } = requestedHyperparameters(req);
  checkMethodFitsData(method, trainingFile);
  let hasWeightField: boolean | undefined;
  if (requested.sampling?.strategy === 'weighted') {
    hasWeightField = await everyExampleHasWeight(
      await deps.blobs.getStream(trainingFile.blobKey),
      requested.sampling.weight_field ?? FIXED_DEFAULTS.sampling.weight_field,
    );
  }
  const resolution = resolveHyperparameters({
    requested,
    method,
    prefix,
    provider,
    model,
    seed,
    data: {
      format: trainingFile.format ?? 'chat',
      trainingExamples: trainingFile.exampleCount ?? 0,
      trainingTokens: trainingFile.tokenCount ?? 0,
      validationExamples: validationFile ? (validationFile.exampleCount ?? 0) : null,
      hasWeightField,
    },
  });
  return { provider, model, trainingFile, validationFile, method, requested, resolution };
}
