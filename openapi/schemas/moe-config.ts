/**
 * Mixtral's mixture-of-experts keys in a Llama config.json (HF MixtralConfig's names), and their
 * rules. The model config schema spreads MIXTRAL_FIELDS into the Llama family and applies
 * mixtralRule; runner/model/moe.ts runs the layer.
 */
import { z } from '@hono/zod-openapi';

export const MIXTRAL_FIELDS = {
  num_local_experts: z.number().int().positive().optional().openapi({
    description:
      "Mixtral's key, llama family only: experts per layer. Present, the feed-forward is a mixture of experts (weights block_sparse_moe.gate and block_sparse_moe.experts.N.w1/w2/w3, each expert a SwiGLU MLP of intermediate_size; saved as HF's mixtral type). Capacity is dropless: every token is computed by each of its num_experts_per_tok experts whatever their load (no capacity factor, no dropped or re-routed tokens).",
  }),
  num_experts_per_tok: z.number().int().positive().optional().openapi({
    description:
      "Mixtral's key: experts each token is routed to (the top k of the router's softmax, their weights renormalised to sum to 1); 2 when absent, at most num_local_experts.",
  }),
  router_aux_loss_coef: z.number().min(0).optional().openapi({
    description:
      "Mixtral's key: weight of the load-balancing loss (Switch Transformer's, as HF's load_balancing_loss_func over all layers and the real positions) added to the training loss; 0.001 when absent. The unweighted loss is reported per step as train_aux_loss.",
  }),
  output_router_logits: z.boolean().optional().openapi({
    description:
      "HF's switch for adding the load-balancing loss to the training loss. Absent means true here (HF's default is false); false reports train_aux_loss without training on it.",
  }),
};

export const MIXTRAL_KEYS = Object.keys(MIXTRAL_FIELDS) as (keyof typeof MIXTRAL_FIELDS)[];

/** HF MixtralConfig's num_local_experts when a "mixtral" config leaves it out. */
const MIXTRAL_DEFAULT_EXPERTS = 8;

/**
 * A config.json of HF's "mixtral" type is a Llama body with a mixture-of-experts feed-forward: read
 * it as one ("llama" with num_local_experts). Saving writes it back as "mixtral" (runner/io), so HF
 * tooling loads a tuned model as MixtralForCausalLM. Any other input is returned as it is.
 */
export function mixtralAsLlama(json: unknown): unknown {
  if (
    typeof json !== 'object' ||
    json === null ||
    (json as { model_type?: unknown }).model_type !== 'mixtral'
  )
    return json;
  const c = json as Record<string, unknown>;
  return { ...c, model_type: 'llama', num_local_experts: c.num_local_experts ?? MIXTRAL_DEFAULT_EXPERTS };
}

/** The first rule the Mixtral keys of a config break (a field and the rule), or undefined. */
export function mixtralRule(config: {
  model_type: string;
  num_local_experts?: number;
  num_experts_per_tok?: number;
}): { field: string; rule: string } | undefined {
  const named = MIXTRAL_KEYS.find((k) => k in config && (config as Record<string, unknown>)[k] != null);
  const jitter = (config as { router_jitter_noise?: unknown }).router_jitter_noise;
  if (typeof jitter === 'number' && jitter > 0)
    return {
      field: 'router_jitter_noise',
      rule: 'router jitter is not supported: use 0 (Mixtral trains without it)',
    };
  if (config.model_type !== 'llama') {
    if (named)
      return {
        field: named,
        rule: 'a mixture-of-experts feed-forward (Mixtral) is implemented for the llama family only',
      };
    return undefined;
  }
  if (config.num_local_experts == null) {
    if (named)
      return { field: named, rule: `${named} applies only to a mixture of experts: set num_local_experts` };
    return undefined;
  }
  const k = config.num_experts_per_tok ?? 2;
  if (k > config.num_local_experts)
    return {
      field: 'num_experts_per_tok',
      rule: `num_experts_per_tok (${k}) must not exceed num_local_experts (${config.num_local_experts})`,
    };
  return undefined;
}
