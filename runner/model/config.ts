/**
 * Model configuration for the trainer: the contract's schema and rules
 * (openapi/schemas/model-config.ts, shared with the API's config-only models), applied to every
 * config.json the trainer loads, with failures raised as the trainer's ModelError.
 */
import { ModelConfigSchema, modelConfigRule, type ModelConfig } from '../../openapi/schemas/model-config';
import { mixtralAsLlama } from '../../openapi/schemas/moe-config';
import { ModelError } from '../errors';

export {
  architectureRule,
  attentionType,
  dims,
  Gpt2ConfigSchema,
  LlamaConfigSchema,
  positionType,
} from '../../openapi/schemas/model-config';
export type {
  AttentionType,
  Gpt2Config,
  LlamaConfig,
  ModelConfig,
  ModelDims,
  PositionType,
} from '../../openapi/schemas/model-config';

/**
 * Validates a config.json object. HF stores the number of classes as id2label; we read it back into
 * num_labels when the architecture is a *ForSequenceClassification (HF writes a default id2label into
 * many causal-LM configs too, so id2label alone does not mean "classifier").
 */
export function parseModelConfig(json: unknown): ModelConfig {
  const parsed = ModelConfigSchema.safeParse(mixtralAsLlama(json));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.join('.');
    throw new ModelError(
      `Invalid model config${path ? ` field "${path}"` : ''}: ${issue.message}`,
      path ? `config.${path}` : 'config',
      'invalid_model_config',
      parsed.error,
    );
  }
  const config = parsed.data;
  const isClassifier = config.architectures?.some((a) => a.endsWith('ForSequenceClassification')) ?? false;
  if (config.num_labels === undefined && isClassifier && config.id2label) {
    config.num_labels = Object.keys(config.id2label).length;
  }
  const rule = modelConfigRule(config);
  if (rule)
    throw new ModelError(
      `Invalid model config field "${rule.field}": ${rule.rule}`,
      `config.${rule.field}`,
      'invalid_model_config',
    );
  return config;
}
