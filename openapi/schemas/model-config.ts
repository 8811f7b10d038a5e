/**
 * Model configuration: the Hugging Face config.json fields (snake_case) of the two decoder-only
 * families we train, and the rules across fields. One schema for the trainer (runner/model/config.ts
 * parses every config.json with it) and the API (a config-only base model, POST /v1/models, is
 * validated with the same rules). Unknown fields pass through untouched so a loaded config.json is
 * written back as it came (plus what we changed), which keeps fine-tuned folders loadable by HF tooling.
 */
import { z } from '@hono/zod-openapi';
import { MIXTRAL_FIELDS, mixtralRule } from './moe-config';

const positiveInt = z.number().int().positive();
const probability = z.number().min(0).lt(1);
const tokenId = z.number().int().nonnegative();
const tokenIds = z.union([tokenId, z.array(tokenId)]);

/** Fields both families share: classification head and label names. */
const common = {
  vocab_size: positiveInt,
  initializer_range: z.number().positive().default(0.02),
  /** Present ⇒ the model carries a sequence-classification head `score.weight` [num_labels, hidden]. */
  num_labels: positiveInt.optional(),
  id2label: z.record(z.string(), z.string()).optional(),
  label2id: z.record(z.string(), z.number().int()).optional(),
  architectures: z.array(z.string()).optional(),
  bos_token_id: tokenIds.nullish(),
  eos_token_id: tokenIds.nullish(),
  pad_token_id: tokenIds.nullish(),
  // Architecture options (runner/model/architecture.ts). Optional, not defaulted, so a config.json
  // that does not name them is written back unchanged and stays loadable by HF tooling.
  /** Ours: "full" (causal softmax), "sliding_window" (needs sliding_window) or "linear" (elu+1 feature map). */
  attention_type: z.enum(['full', 'sliding_window', 'linear']).optional(),
  /** Mistral's key: each query attends to itself and the sliding_window − 1 positions before it. */
  sliding_window: positiveInt.nullish(),
  /** Ours (BERT's key name): "absolute" (learned), "rope", "alibi" or "none"; GPT-2 absolute, Llama rope by default. */
  position_embedding_type: z.enum(['absolute', 'rope', 'alibi', 'none']).optional(),
};

export const Gpt2ConfigSchema = z.looseObject({
  model_type: z.literal('gpt2'),
  ...common,
  n_positions: positiveInt,
  n_embd: positiveInt,
  n_layer: positiveInt,
  n_head: positiveInt,
  /** MLP width; HF uses 4 * n_embd when null. */
  n_inner: positiveInt.nullish(),
  activation_function: z.enum(['gelu_new', 'gelu_pytorch_tanh', 'gelu', 'relu', 'silu']).default('gelu_new'),
  resid_pdrop: probability.default(0.1),
  embd_pdrop: probability.default(0.1),
  attn_pdrop: probability.default(0.1),
  layer_norm_epsilon: z.number().positive().default(1e-5),
  /** GPT-2 ties lm_head to wte unless a config says otherwise. */
  tie_word_embeddings: z.boolean().default(true),
  /** Only read with position_embedding_type "rope" (10000 when absent). */
  rope_theta: z.number().positive().optional(),
  scale_attn_weights: z.literal(true, { error: 'only scale_attn_weights=true is supported' }).default(true),
  scale_attn_by_inverse_layer_idx: z
    .literal(false, { error: 'scale_attn_by_inverse_layer_idx=true is not supported' })
    .default(false),
  reorder_and_upcast_attn: z
    .literal(false, { error: 'reorder_and_upcast_attn=true is not supported' })
    .default(false),
});

const RopeScalingSchema = z.looseObject({
  rope_type: z.enum(['default', 'linear', 'llama3']).optional(),
  type: z.enum(['default', 'linear', 'llama3']).optional(),
  factor: z.number().positive().optional(),
  low_freq_factor: z.number().positive().optional(),
  high_freq_factor: z.number().positive().optional(),
  original_max_position_embeddings: positiveInt.optional(),
});

export const LlamaConfigSchema = z.looseObject({
  model_type: z.literal('llama'),
  ...common,
  hidden_size: positiveInt,
  intermediate_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  /** Grouped-query attention; equal to num_attention_heads (plain multi-head) when absent. */
  num_key_value_heads: positiveInt.optional(),
  head_dim: positiveInt.optional(),
  hidden_act: z.literal('silu', { error: 'only hidden_act "silu" is supported' }).default('silu'),
  max_position_embeddings: positiveInt,
  rms_norm_eps: z.number().positive().default(1e-6),
  rope_theta: z.number().positive().default(10000),
  rope_scaling: RopeScalingSchema.nullish(),
  tie_word_embeddings: z.boolean().default(false),
  attention_dropout: probability.default(0),
  attention_bias: z.literal(false, { error: 'attention_bias=true is not supported' }).default(false),
  mlp_bias: z.literal(false, { error: 'mlp_bias=true is not supported' }).default(false),
  ...MIXTRAL_FIELDS,
});

export type Gpt2Config = z.infer<typeof Gpt2ConfigSchema>;
export type LlamaConfig = z.infer<typeof LlamaConfigSchema>;
export type ModelConfig = Gpt2Config | LlamaConfig;

export const ModelConfigSchema = z.discriminatedUnion('model_type', [Gpt2ConfigSchema, LlamaConfigSchema], {
  error: 'model_type must be "gpt2" or "llama"',
});

export type AttentionType = NonNullable<ModelConfig['attention_type']>;
export type PositionType = NonNullable<ModelConfig['position_embedding_type']>;

/** The attention named by the config: attention_type, or sliding_window alone as Mistral configs say it. */
export function attentionType(config: ModelConfig): AttentionType {
  return config.attention_type ?? (config.sliding_window != null ? 'sliding_window' : 'full');
}

/** The position embedding named by the config, else the family's own. */
export function positionType(config: ModelConfig): PositionType {
  return config.position_embedding_type ?? (config.model_type === 'gpt2' ? 'absolute' : 'rope');
}

/** The first architecture key that contradicts another, with the rule it breaks. */
export function architectureRule(config: ModelConfig): { field: string; rule: string } | undefined {
  const moe = mixtralRule(config);
  if (moe) return moe;
  const attention = attentionType(config);
  if (attention === 'sliding_window' && config.sliding_window == null)
    return {
      field: 'sliding_window',
      rule: 'attention_type "sliding_window" needs sliding_window (a window length)',
    };
  if (attention !== 'sliding_window' && config.sliding_window != null)
    return {
      field: 'sliding_window',
      rule: `sliding_window applies only to attention_type "sliding_window", not "${attention}"`,
    };
  if (attention === 'linear' && positionType(config) === 'alibi')
    return {
      field: 'position_embedding_type',
      rule: 'alibi biases attention scores, which linear attention never forms; use rope, absolute or none',
    };
  return undefined;
}

/** The first rule across fields the config breaks (a field and the rule), or undefined. */
export function modelConfigRule(config: ModelConfig): { field: string; rule: string } | undefined {
  const arch = architectureRule(config);
  if (arch) return arch;
  const d = dims(config);
  if (config.model_type === 'gpt2') {
    if (config.n_embd % config.n_head !== 0)
      return { field: 'n_head', rule: `n_embd (${config.n_embd}) must be divisible by n_head` };
  } else {
    if (config.head_dim === undefined && config.hidden_size % config.num_attention_heads !== 0)
      return {
        field: 'num_attention_heads',
        rule: `hidden_size (${config.hidden_size}) must be divisible by num_attention_heads`,
      };
    if (d.nHead % d.nKvHead !== 0)
      return {
        field: 'num_key_value_heads',
        rule: 'num_attention_heads must be a multiple of num_key_value_heads',
      };
  }
  if (positionType(config) === 'rope' && d.headDim % 2 !== 0)
    return {
      field: config.model_type === 'gpt2' ? 'n_head' : 'head_dim',
      rule: 'head dimension must be even for rotary embeddings',
    };
  return undefined;
}

/** The sizes the forward pass needs, named the same for both families. */
export interface ModelDims {
  hidden: number;
  nLayer: number;
  nHead: number;
  nKvHead: number;
  headDim: number;
  mlp: number;
  vocab: number;
  context: number;
  tied: boolean;
}

export function dims(config: ModelConfig): ModelDims {
  if (config.model_type === 'gpt2') {
    return {
      hidden: config.n_embd,
      nLayer: config.n_layer,
      nHead: config.n_head,
      nKvHead: config.n_head,
      headDim: config.n_embd / config.n_head,
      mlp: config.n_inner ?? 4 * config.n_embd,
      vocab: config.vocab_size,
      context: config.n_positions,
      tied: config.tie_word_embeddings,
    };
  }
  return {
    hidden: config.hidden_size,
    nLayer: config.num_hidden_layers,
    nHead: config.num_attention_heads,
    nKvHead: config.num_key_value_heads ?? config.num_attention_heads,
    headDim: config.head_dim ?? config.hidden_size / config.num_attention_heads,
    mlp: config.intermediate_size,
    vocab: config.vocab_size,
    context: config.max_position_embeddings,
    tied: config.tie_word_embeddings,
  };
}

/**
 * The config of a config-only model (POST /v1/models): config.json's schema with the rules across
 * fields as issues on the field they name, so the API's 400 says `config.<field>` and the rule.
 */
export const ModelConfigRequestSchema = ModelConfigSchema.superRefine((config, ctx) => {
  const rule = modelConfigRule(config);
  if (rule) ctx.addIssue({ code: 'custom', path: [rule.field], message: rule.rule });
}).openapi('ModelConfig', {
  description:
    'A Hugging Face style config.json of the gpt2 or llama family, with the architecture options (attention_type, sliding_window, position_embedding_type, num_key_value_heads).',
});

/**
 * The architecture keys a job may lay over a config-only model's config.json (`model_config`), and
 * so the ones a sweep may search when its base job's model is config-only.
 */
export const ModelConfigOverridesSchema = z
  .strictObject({
    attention_type: common.attention_type,
    sliding_window: common.sliding_window,
    position_embedding_type: common.position_embedding_type,
    num_key_value_heads: positiveInt.optional(),
    // the feed-forward: dense, or a mixture of experts (Mixtral's keys)
    num_local_experts: MIXTRAL_FIELDS.num_local_experts,
    num_experts_per_tok: MIXTRAL_FIELDS.num_experts_per_tok,
    router_aux_loss_coef: MIXTRAL_FIELDS.router_aux_loss_coef,
  })
  .openapi('ModelConfigOverrides', {
    description:
      "Architecture keys laid over a config-only model's config.json for this job (our extension); refused for a pretrained model, whose weights fix its architecture.",
  });
export type ModelConfigOverrides = z.infer<typeof ModelConfigOverridesSchema>;
export const ARCHITECTURE_KEYS = Object.keys(
  ModelConfigOverridesSchema.shape,
) as (keyof ModelConfigOverrides)[];
