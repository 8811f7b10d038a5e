/**
 * The shapes the trainer benchmarks train (GPT-2 layout, AdamW): test/bench/trainer.ts against
 * PyTorch, and config B in the GPU check (test/bench/gpu.ts). A module of its own so importing the
 * shapes runs no benchmark.
 */
export const gpt2 = (vocab: number, layers: number, hidden: number, heads: number, context: number) => ({
  model_type: 'gpt2',
  vocab_size: vocab,
  n_positions: context,
  n_embd: hidden,
  n_layer: layers,
  n_head: heads,
  activation_function: 'gelu_new',
  resid_pdrop: 0,
  embd_pdrop: 0,
  attn_pdrop: 0,
  layer_norm_epsilon: 1e-5,
  tie_word_embeddings: true,
});

export interface BenchConfig {
  name: 'A' | 'B' | 'C';
  model: ReturnType<typeof gpt2>;
  batch: number;
  seq: number;
  /** timed steps by default: each config runs for a few seconds per engine */
  steps: number;
}

export const CONFIGS: Record<BenchConfig['name'], BenchConfig> = {
  A: { name: 'A', model: gpt2(65, 4, 128, 4, 64), batch: 12, seq: 64, steps: 60 },
  B: { name: 'B', model: gpt2(512, 4, 256, 4, 128), batch: 8, seq: 128, steps: 20 },
  C: { name: 'C', model: gpt2(8192, 6, 512, 8, 256), batch: 4, seq: 256, steps: 8 },
};

export const TRAIN = {
  lr: 3e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.1,
  maxGradNorm: 1.0,
  seed: 1234,
};
