/**
 * The fidelity cases: GPT-2 and Llama, causal LM and sequence classification, with and without
 * gradient checkpointing, on one fixed batch; and DPO on preference pairs (DPO_CASES, PyTorch only:
 * their reference log-probabilities are computed per run). Shared by the PyTorch comparisons (harness.ts) and the
 * GPU check's stored reference (test/bench/gpu-reference.ts). Plain data: no Node or tfjs imports.
 */
export interface Batch {
  ids: number[][];
  task: 'lm' | 'classify' | 'dpo';
  last_index?: number[];
  labels?: number[];
  /** dpo: k pairs as 2k rows (preferred first) of model inputs, next-token targets and answer mask. */
  targets?: number[][];
  mask?: number[][];
  /** dpo: the rows' reference log-probabilities (set by compareWithPyTorch), β and label smoothing. */
  reference?: number[];
  beta?: number;
  label_smoothing?: number;
  /** lm with a mixture of experts: HF's attention_mask for the load-balancing loss (1 real, 0 padding). */
  attention_mask?: number[][];
}

export interface FidelityCase {
  name: string;
  config: Record<string, unknown>;
  batch: Batch;
  checkpointing?: boolean;
}

const IDS = [
  [3, 17, 5, 9, 22, 1, 14, 8, 30, 2],
  [11, 4, 27, 6, 0, 19, 25, 7, 13, 28],
];

const GPT2 = { model_type: 'gpt2', vocab_size: 31, n_positions: 16, n_embd: 32, n_layer: 2, n_head: 4 };
const LLAMA = {
  model_type: 'llama',
  vocab_size: 31,
  hidden_size: 32,
  intermediate_size: 56,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 16,
};

export const CASES: FidelityCase[] = [
  {
    name: 'GPT-2 causal LM (tied head, gelu_new)',
    config: GPT2,
    batch: { ids: IDS, task: 'lm' },
  },
  {
    name: 'GPT-2 causal LM with gradient checkpointing',
    config: GPT2,
    batch: { ids: IDS, task: 'lm' },
    checkpointing: true,
  },
  {
    name: 'Llama causal LM (GQA 4:2, RoPE, SwiGLU, untied head)',
    config: { ...LLAMA, rms_norm_eps: 1e-5 },
    batch: { ids: IDS, task: 'lm' },
  },
  {
    name: 'Llama causal LM (tied, MQA 4:1, llama3 rope scaling, checkpointing)',
    config: {
      model_type: 'llama',
      vocab_size: 31,
      hidden_size: 32,
      intermediate_size: 40,
      num_hidden_layers: 3,
      num_attention_heads: 4,
      num_key_value_heads: 1,
      max_position_embeddings: 16,
      tie_word_embeddings: true,
      rope_theta: 500000,
      rope_scaling: {
        rope_type: 'llama3',
        factor: 8,
        low_freq_factor: 1,
        high_freq_factor: 4,
        original_max_position_embeddings: 64,
      },
    },
    batch: { ids: IDS, task: 'lm' },
    checkpointing: true,
  },
  {
    name: 'GPT-2 sequence classification (right padding)',
    config: { ...GPT2, num_labels: 3 },
    batch: { ids: IDS, task: 'classify', last_index: [6, 9], labels: [2, 0] },
  },
  {
    name: 'Llama sequence classification',
    config: { ...LLAMA, num_labels: 2 },
    batch: { ids: IDS, task: 'classify', last_index: [9, 4], labels: [1, 0] },
  },
];

/**
 * Two preference pairs over a shared prompt each (3 17 5 9 | 11 4 27 6 0), answers of different
 * lengths, so rows are right-padded (id 0, mask 0) as collate pads them.
 */
function dpoBatch(beta: number, labelSmoothing: number): Batch {
  const prompts = [
    [3, 17, 5, 9],
    [11, 4, 27, 6, 0],
  ];
  const answers = [
    [22, 1, 14, 8, 30, 2], // chosen 0
    [19, 25, 7], // chosen 1
    [12, 6], // rejected 0
    [3, 3, 21, 13, 28], // rejected 1
  ];
  const rows = answers.map((a, r) => ({ prompt: prompts[r % 2], answer: a }));
  const width = Math.max(...rows.map((r) => r.prompt.length + r.answer.length)) - 1;
  const pad = (xs: number[]) => [...xs, ...Array(width - xs.length).fill(0)];
  return {
    task: 'dpo',
    ids: rows.map((r) => pad([...r.prompt, ...r.answer].slice(0, -1))),
    targets: rows.map((r) => pad([...r.prompt, ...r.answer].slice(1))),
    mask: rows.map((r) => pad([...r.prompt.slice(1).map(() => 0), ...r.answer.map(() => 1)])),
    beta,
    label_smoothing: labelSmoothing,
  };
}

export const DPO_CASES: FidelityCase[] = [
  {
    name: 'GPT-2 DPO on preference pairs (β 0.1, sigmoid loss)',
    config: GPT2,
    batch: dpoBatch(0.1, 0),
  },
  {
    name: 'Llama DPO on preference pairs (β 0.5, label smoothing 0.2, checkpointing)',
    config: { ...LLAMA, rms_norm_eps: 1e-5 },
    batch: dpoBatch(0.5, 0.2),
    checkpointing: true,
  },
];
/** Two rows of 70 tokens: longer than one 64-position chunk of linear attention, and not a multiple of it. */
const LONG_IDS = [0, 1].map((r) => Array.from({ length: 70 }, (_, i) => (i * 7 + r * 11 + 3) % 31));

/** The architecture options (runner/model/architecture.ts) on both families. */
export const ARCHITECTURE_CASES: FidelityCase[] = [
  {
    name: 'GPT-2 sliding window 4 with RoPE',
    config: { ...GPT2, attention_type: 'sliding_window', sliding_window: 4, position_embedding_type: 'rope' },
    batch: { ids: IDS, task: 'lm' },
  },
  {
    name: 'GPT-2 ALiBi, no learned positions',
    config: { ...GPT2, position_embedding_type: 'alibi' },
    batch: { ids: IDS, task: 'lm' },
  },
  {
    name: 'GPT-2 no position embedding',
    config: { ...GPT2, position_embedding_type: 'none' },
    batch: { ids: IDS, task: 'lm' },
  },
  {
    name: 'GPT-2 linear attention over 70 tokens (two chunks, padded)',
    config: { ...GPT2, n_positions: 80, attention_type: 'linear' },
    batch: { ids: LONG_IDS, task: 'lm' },
  },
  {
    name: 'Llama ALiBi, 6 heads (not a power of two), GQA 6:3',
    config: {
      ...LLAMA,
      hidden_size: 48,
      num_attention_heads: 6,
      num_key_value_heads: 3,
      position_embedding_type: 'alibi',
    },
    batch: { ids: IDS, task: 'lm' },
  },
  {
    name: 'Llama linear attention, GQA 4:2, RoPE, 70 tokens, checkpointing',
    config: { ...LLAMA, max_position_embeddings: 80, attention_type: 'linear' },
    batch: { ids: LONG_IDS, task: 'lm' },
    checkpointing: true,
  },
  {
    name: 'Llama sliding window 3 (Mistral key alone) with learned absolute positions',
    config: { ...LLAMA, sliding_window: 3, position_embedding_type: 'absolute' },
    batch: { ids: IDS, task: 'lm' },
  },
  {
    name: 'Llama no position embedding, MQA 4:1',
    config: { ...LLAMA, num_key_value_heads: 1, position_embedding_type: 'none' },
    batch: { ids: IDS, task: 'lm' },
  },
];

/**
 * Mixtral's mixture-of-experts feed-forward on a Llama body (runner/model/moe.ts): logits, the loss
 * with the load-balancing loss added (router_aux_loss_coef, as MixtralForCausalLM) and every
 * gradient, router and experts. A large coefficient makes the aux loss's share of the router
 * gradient large enough that an error in it would show.
 */
export const MOE_CASES: FidelityCase[] = [
  {
    name: 'Llama MoE, 4 experts top-2, GQA 4:2 (aux loss weight 0.5)',
    config: { ...LLAMA, num_local_experts: 4, num_experts_per_tok: 2, router_aux_loss_coef: 0.5 },
    batch: { ids: IDS, task: 'lm' },
  },
  {
    name: 'Llama MoE, 3 experts top-1, aux loss over a padded row (attention mask)',
    config: {
      ...LLAMA,
      num_hidden_layers: 3,
      num_local_experts: 3,
      num_experts_per_tok: 1,
      router_aux_loss_coef: 0.3,
      output_router_logits: true,
    },
    batch: {
      ids: IDS,
      task: 'lm',
      attention_mask: [Array(10).fill(1), [...Array(6).fill(1), ...Array(4).fill(0)]],
    },
  },
];
