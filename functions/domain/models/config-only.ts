/**
 * Config-only base models (our extension, `POST /v1/models`): a Hugging Face style config.json and
 * the tokenizer of a model the tenant can see, no weights. A job on one trains from random
 * initialisation (seeded by the job's seed). The config passed the contract's ModelConfigSchema,
 * the same rules the trainer applies to every config.json; here we check what needs the store:
 * the tokenizer exists and fits the vocabulary.
 */
import {
  ModelConfigRequestSchema,
  type ModelConfig,
  type ModelConfigOverrides,
} from '../../../openapi/schemas/model-config';
import { ValidationError } from '../../errors';
import type { BlobStore } from '../../ports/blobs';
import type { Clock, IdGenerator } from '../../ports/clock';
import type { ModelStore } from '../../ports/store';
import type { ModelRecord, TenantId } from '../records';
import { describeConfig, type BaseModelInfo } from './catalog';

export interface ConfigModelDeps {
  stores: { models: ModelStore };
  blobs: BlobStore;
  clock: Clock;
  ids: IdGenerator;
}

export interface ConfigModelRequest {
  config: ModelConfig;
  /** A model whose tokenizer.json (and tokenizer_config.json, if any) the new model uses. */
  tokenizer: string;
  suffix?: string;
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'] as const;

export async function createConfigModel(
  deps: ConfigModelDeps,
  tenantId: TenantId,
  req: ConfigModelRequest,
): Promise<ModelRecord> {
  const source = await deps.stores.models.get(tenantId, req.tokenizer);
  if (!source || source.deleted)
    throw new ValidationError(
      `tokenizer: no model '${req.tokenizer}' to take the tokenizer from`,
      'tokenizer',
    );
  const from = source.blobPrefix.replace(/\/+$/, '');
  const files = new Map<string, Uint8Array>();
  for (const name of TOKENIZER_FILES) {
    if (await deps.blobs.head(`${from}/${name}`)) files.set(name, await deps.blobs.get(`${from}/${name}`));
  }
  const tokenizerJson = files.get('tokenizer.json');
  if (!tokenizerJson)
    throw new ValidationError(`tokenizer: model '${req.tokenizer}' has no tokenizer.json`, 'tokenizer');
  const vocab = tokenizerVocabSize(tokenizerJson);
  if (vocab > req.config.vocab_size)
    throw new ValidationError(
      `config.vocab_size: the tokenizer of '${req.tokenizer}' has ${vocab} tokens; vocab_size must be at least that (got ${req.config.vocab_size})`,
      'config.vocab_size',
    );
  const id = deps.ids.next(`cfg:${req.suffix ? `${req.suffix}:` : ''}`);
  const prefix = `models/${tenantId}/${id}/`;
  for (const [name, bytes] of files) await deps.blobs.put(prefix + name, bytes, 'application/json');
  // config.json last: a reader that sees it can rely on the rest being there.
  await deps.blobs.put(prefix + 'config.json', JSON.stringify(req.config, null, 2), 'application/json');
  const record: ModelRecord = {
    id,
    tenantId,
    createdAt: Math.floor(deps.clock.nowMs() / 1000),
    ownedBy: tenantId,
    jobId: null,
    blobPrefix: prefix,
    untrained: true,
  };
  await deps.stores.models.put(record);
  return record;
}

/** Token ids a tokenizer.json defines: one past the largest id of its vocabulary and added tokens. */
export function tokenizerVocabSize(bytes: Uint8Array): number {
  let json: { model?: { vocab?: unknown }; added_tokens?: { id?: unknown }[] };
  try {
    json = JSON.parse(new TextDecoder().decode(bytes)) as typeof json;
  } catch {
    throw new ValidationError('tokenizer: the model’s tokenizer.json is not valid JSON', 'tokenizer');
  }
  let max = -1;
  const vocab = json.model?.vocab;
  const ids: unknown[] = Array.isArray(vocab)
    ? vocab.map((_, i) => i) // unigram: a list of [piece, score]
    : vocab && typeof vocab === 'object'
      ? Object.values(vocab)
      : [];
  for (const t of json.added_tokens ?? []) ids.push(t.id);
  for (const id of ids) if (typeof id === 'number' && id > max) max = id;
  return max + 1;
}

/**
 * The model a job trains when its request sets model_config: the config-only model's config.json
 * with those architecture keys laid over it, checked with config.json's rules and described again
 * (so the plan and the estimate see the architecture the job trains). Refused for a pretrained
 * model, whose weights fix its architecture.
 */
export function applyModelConfig(model: BaseModelInfo, overrides: ModelConfigOverrides): BaseModelInfo {
  if (!model.untrained || !model.config) {
    throw new ValidationError(
      `model_config: architecture keys apply only to a config-only model (POST /v1/models); the weights of '${model.id}' fix its architecture`,
      'model_config',
      'model_config_not_allowed',
    );
  }
  const merged = { ...model.config, ...overrides };
  const parsed = ModelConfigRequestSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue.path[0] ?? '');
    const param = field in overrides ? `model_config.${field}` : 'model_config';
    throw new ValidationError(
      `${param}: ${issue.message} (config.json of '${model.id}' with model_config)`,
      param,
    );
  }
  return {
    ...describeConfig(model.id, merged, `config.json of ${model.id} with model_config`),
    config: merged,
    untrained: true,
  };
}
