/**
 * Base model metadata the API needs to resolve `auto` hyperparameters: context length, default
 * learning rate and parameter count. Read from the model's Hugging Face `config.json` in the blob
 * store (the same file the trainer loads), found through the model store.
 *
 * config.json keys understood: GPT-2 (`n_positions`/`n_ctx`, `n_embd`, `n_layer`, `n_inner`) and
 * Llama (`max_position_embeddings`, `hidden_size`, `num_hidden_layers`, `intermediate_size`,
 * `num_attention_heads`, `num_key_value_heads`, `tie_word_embeddings`; Mixtral's
 * `num_local_experts`, `num_experts_per_tok`), plus our optional `tuneplane_default_learning_rate`.
 */
import type { BlobStore } from '../../ports/blobs';
import type { ModelStore } from '../../ports/store';
import type { TenantId } from '../records';

export interface BaseModelInfo {
  id: string;
  contextLength: number;
  defaultLearningRate: number;
  /** Every weight (all experts of a mixture): what memory holds. */
  parameterCount: number;
  /** A mixture of experts: the weights one token runs through (router + top-k of E experts), for FLOPs. */
  activeParameterCount?: number;
  hiddenSize: number;
  layers: number;
  /** Positions each token's attention reads at a sequence length (attentionSpan). */
  attention?(seq: number): { span: number; what: string };
  /** Where the numbers came from, quoted in explanations. */
  source: string;
  /** The config.json the numbers came from. */
  config?: Record<string, unknown>;
  /** A config-only model (POST /v1/models): no weights, so jobs may choose its architecture keys. */
  untrained?: boolean;
  /** Where the learning rate came from. */
  learningRateSource: string;
}

export interface BaseModelCatalog {
  /** Undefined when the tenant cannot see a model of that id. */
  describe(tenantId: TenantId, modelId: string): Promise<BaseModelInfo | undefined>;
}

type Config = Record<string, unknown>;

const num = (c: Config, ...keys: string[]): number | undefined => {
  for (const k of keys) if (typeof c[k] === 'number' && Number.isFinite(c[k])) return c[k] as number;
  return undefined;
};

/**
 * A mixture-of-experts feed-forward (Mixtral's keys; a "mixtral" config has 8 experts when it does
 * not say): experts per layer and experts per token, else undefined.
 */
function experts(c: Config): { total: number; perToken: number } | undefined {
  const total = num(c, 'num_local_experts') ?? (c.model_type === 'mixtral' ? 8 : undefined);
  if (total === undefined) return undefined;
  return { total, perToken: Math.min(total, num(c, 'num_experts_per_tok') ?? 2) };
}

/**
 * Weights of a decoder-only transformer from its shape (embeddings + attention + MLP per layer).
 * `active`: a mixture of experts counts only the experts one token runs through (FLOPs); otherwise
 * every expert (memory).
 */
export function estimateParameters(c: Config, active = false): number {
  const d = num(c, 'hidden_size', 'n_embd') ?? 0;
  const layers = num(c, 'num_hidden_layers', 'n_layer') ?? 0;
  const vocab = num(c, 'vocab_size') ?? 0;
  const heads = num(c, 'num_attention_heads', 'n_head') ?? 1;
  const kvHeads = num(c, 'num_key_value_heads') ?? heads;
  const isLlama =
    num(c, 'intermediate_size') !== undefined || c.model_type === 'llama' || c.model_type === 'mixtral';
  const positions = c.position_embedding_type ?? (isLlama ? 'rope' : 'absolute');
  const positionTable =
    positions === 'absolute' ? (num(c, 'max_position_embeddings', 'n_positions', 'n_ctx') ?? 0) * d : 0;
  if (isLlama) {
    const ff = num(c, 'intermediate_size') ?? 4 * d;
    const headDim = d / heads;
    const attn = 2 * d * d + 2 * d * kvHeads * headDim; // q, o full; k, v grouped
    const moe = experts(c);
    // gate, up, down (SwiGLU); a mixture: that per expert, plus the router
    const mlp = moe ? (active ? moe.perToken : moe.total) * 3 * d * ff + moe.total * d : 3 * d * ff;
    const tied = c.tie_word_embeddings !== false;
    return Math.round(layers * (attn + mlp + 2 * d) + vocab * d * (tied ? 1 : 2) + d + positionTable);
  }
  const ff = num(c, 'n_inner') ?? 4 * d;
  return Math.round(layers * (4 * d * d + 2 * d * ff + 9 * d) + vocab * d + positionTable + 2 * d);
}

/** Positions of chunk linear attention works within (runner/model/attention-variants.ts). */
const LINEAR_ATTENTION_CHUNK = 64;

/**
 * How many positions each token's attention touches at sequence length `seq`, for the FLOPs of the
 * scores and the weighted sum (Kaplan et al.'s 2·n_layer·n_ctx·d per token forward, with n_ctx
 * replaced by what the attention type reads): full attention the whole sequence, a sliding window
 * at most the window, linear attention its chunk plus the running state (head_dim wide).
 */
export function attentionSpan(c: Config, seq: number): { span: number; what: string } {
  const type = c.attention_type ?? (num(c, 'sliding_window') !== undefined ? 'sliding_window' : 'full');
  if (type === 'sliding_window') {
    const w = num(c, 'sliding_window') ?? seq;
    return { span: Math.min(w, seq), what: `a sliding window of ${w}` };
  }
  if (type === 'linear') {
    const heads = num(c, 'num_attention_heads', 'n_head') ?? 1;
    const headDim = num(c, 'head_dim') ?? (num(c, 'hidden_size', 'n_embd') ?? 0) / heads;
    return {
      span: Math.min(seq, LINEAR_ATTENTION_CHUNK) + headDim,
      what: `linear attention (chunk ${LINEAR_ATTENTION_CHUNK} + state ${headDim})`,
    };
  }
  return { span: seq, what: 'full attention' };
}

/**
 * Default peak learning rate by size: small models take larger steps. The tiers follow common
 * fine-tuning practice (nanoGPT fine-tunes GPT-2 at 3e-5…6e-4; small from-scratch models ~1e-3).
 */
export function defaultLearningRateFor(parameterCount: number): number {
  if (parameterCount < 20e6) return 1e-3;
  if (parameterCount < 200e6) return 3e-4;
  if (parameterCount < 2e9) return 1e-4;
  return 2e-5;
}

export function describeConfig(id: string, c: Config, source: string): BaseModelInfo {
  const parameterCount = estimateParameters(c);
  const explicit = num(c, 'tuneplane_default_learning_rate');
  return {
    id,
    contextLength: num(c, 'max_position_embeddings', 'n_positions', 'n_ctx') ?? 1024,
    defaultLearningRate: explicit ?? defaultLearningRateFor(parameterCount),
    parameterCount,
    ...(experts(c) ? { activeParameterCount: estimateParameters(c, true) } : {}),
    hiddenSize: num(c, 'hidden_size', 'n_embd') ?? 0,
    layers: num(c, 'num_hidden_layers', 'n_layer') ?? 0,
    attention: (seq) => attentionSpan(c, seq),
    source,
    learningRateSource: explicit
      ? `tuneplane_default_learning_rate in ${source}`
      : `the default for a model of ${formatCount(parameterCount)} parameters`,
  };
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

export function modelCatalog(deps: { models: ModelStore; blobs: BlobStore }): BaseModelCatalog {
  return {
    async describe(tenantId, modelId) {
      const model = await deps.models.get(tenantId, modelId);
      if (!model || model.deleted) return undefined;
      const key = `${model.blobPrefix.replace(/\/+$/, '')}/config.json`;
      let config: Config;
      try {
        config = JSON.parse(new TextDecoder().decode(await deps.blobs.get(key))) as Config;
      } catch {
        // A registered model without a readable config cannot be sized; treat it as unusable.
        return undefined;
      }
      return {
        ...describeConfig(modelId, config, `config.json of ${modelId}`),
        config,
        ...(model.untrained ? { untrained: true } : {}),
      };
    },
  };
}
