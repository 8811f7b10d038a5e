/**
 * The fidelity cases: GPT-2 and Llama, causal LM and sequence classification, with and without
 * gradient checkpointing, on one fixed batch. Shared by the PyTorch comparisons (harness.ts) and the
 * GPU check's stored reference (test/bench/gpu-reference.ts). Plain data: no Node or tfjs imports.
 */
export interface Batch {
  ids: number[][];
  task: 'lm' | 'classify';
  last_index?: number[];
  labels?: number[];
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
