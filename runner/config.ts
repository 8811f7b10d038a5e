/**
 * The trainer's configuration: one typed object with commented defaults (nanoGPT `train.py` style).
 *
 * `DEFAULT_HYPERPARAMETERS` is the full resolved set; a preset or a hyperparameter file holds only
 * overrides, `resolveTrainerConfig` lays them over the defaults and validates the result with the
 * shared schema (openapi/schemas/hyperparameters.ts). The resolved object is written into every
 * checkpoint, so a resumed run continues with exactly the settings it started with.
 */
import {
  HyperparametersSchema,
  ResolvedHyperparametersSchema,
  type Hyperparameters,
  type ResolvedHyperparameters,
} from '../openapi/schemas/hyperparameters';

/** What the examples teach: next-token LM on targets (chat, prompt/completion, text) or sequence classification. */
export type Task = 'chat' | 'prompt_completion' | 'classification' | 'text';

export const DEFAULT_HYPERPARAMETERS: ResolvedHyperparameters = {
  n_epochs: 3, // passes over the training examples
  batch_size: 8, // examples per optimizer step (before accumulation multiplies it)
  learning_rate_multiplier: 1, // scales learning_rate (OpenAI's knob)
  learning_rate: 1e-3, // peak rate; the effective rate is learning_rate × learning_rate_multiplier
  optimizer: 'adamw', // adamw | adam | sgd (sgd uses `momentum`)
  momentum: 0.9, // sgd only
  beta1: 0.9, // Adam first-moment decay
  beta2: 0.999, // Adam second-moment decay
  epsilon: 1e-8, // Adam denominator guard
  weight_decay: 0.01, // adamw: decoupled; adam/sgd: added to the gradient (L2)
  warmup_steps: 0, // steps of warm-up from 0 to the peak rate
  warmup_type: 'linear', // shape of the warm-up: linear | cosine
  lr_scheduler: 'linear', // after warm-up: constant | linear (to 0) | cosine (to 0) | reduce_on_plateau
  reduce_on_plateau: { factor: 0.5, patience: 1, min_lr: 0, threshold: 1e-4 },
  gradient_accumulation_steps: 1, // micro-batches of batch_size per optimizer step
  gradient_checkpointing: false, // recompute activations in the backward pass (less memory, more time)
  max_grad_norm: 1, // clip the global gradient norm to this; null = no clipping
  dropout: 0, // dropout rate while training (never at evaluation)
  early_stopping: null, // { metric, patience, min_delta, restore_best } or null
  sampling: { strategy: 'shuffle', weight_field: 'sample_weight' },
  batch_size_schedule: [], // [{ step, batch_size }]: batch size from `step` on (adaptive batch size)
  max_sequence_length: 256, // tokens per example after truncation
  eval_interval_steps: 50, // full validation pass every this many steps (and at the end)
  checkpoint_interval_steps: 100, // checkpoint every this many steps (and at the end)
  keep_checkpoints: 2, // best k checkpoints kept (the newest is always kept too, for resuming)
  metrics_interval_steps: 10, // one metrics report every this many steps
  seed: 42, // sampling order, dropout masks and fresh weights all derive from it
};

export interface TrainerPaths {
  /** HF folder (config.json, model.safetensors, tokenizer.json) or a bare model config.json. */
  model: string;
  train: string;
  validation?: string;
  /** Where the trained model is written in HF layout. */
  out: string;
  /** Checkpoint root; defaults to `<out>/checkpoints`. */
  checkpoints?: string;
}

export interface TrainerConfig {
  hyperparameters: ResolvedHyperparameters;
  /** `batch_size: "auto"` was requested: probe for the largest batch under `memoryBudgetBytes`. */
  autoBatchSize: boolean;
  /** Bytes the probe may use for one step's tensors; undefined = a share of the machine's memory. */
  memoryBudgetBytes?: number;
  /** `warmup_ratio` requested without a step count: the trainer sets warmup_steps = ratio × total steps. */
  warmupRatio?: number;
  /** Undefined = detected from the training file. */
  task?: Task;
  paths?: TrainerPaths;
}

/** Named sets of overrides. They hold only what differs from the defaults. */
export const PRESETS: Record<string, Hyperparameters> = {
  /** Character-level LM pretraining of a tiny model from scratch. */
  'pretrain-tiny': {
    learning_rate: 3e-3,
    lr_scheduler: 'cosine',
    warmup_steps: 20,
    weight_decay: 0.1,
    batch_size: 16,
  },
  /** Fine-tuning a small pretrained base. */
  finetune: { learning_rate: 5e-4, warmup_steps: 10, lr_scheduler: 'linear' },
};

/**
 * Lays requested hyperparameters (the API's shape, `auto` allowed) over the defaults.
 * `auto` means the default, except `batch_size: "auto"`, which asks the trainer to probe memory.
 * `warmup_ratio` becomes `warmup_steps` once the total step count is known (`totalSteps`).
 */
export function resolveTrainerConfig(
  requested: unknown,
  opts: {
    preset?: string;
    task?: Task;
    paths?: TrainerPaths;
    memoryBudgetBytes?: number;
    totalSteps?: number;
  } = {},
): TrainerConfig {
  // `seed` sits on the job, not in the requested set; a resolved set (job, checkpoint) carries it.
  const { seed, ...rest } = (requested ?? {}) as Record<string, unknown>;
  const req = HyperparametersSchema.parse(rest);
  const preset = opts.preset ? PRESETS[opts.preset] : {};
  if (opts.preset && !preset) throw new Error(`unknown preset '${opts.preset}'`);
  const merged: Record<string, unknown> = { ...DEFAULT_HYPERPARAMETERS };
  let autoBatchSize = false;
  for (const [k, v] of Object.entries({ ...preset, ...req })) {
    if (v === undefined) continue;
    if (v === 'auto') {
      if (k === 'batch_size') autoBatchSize = true;
      continue;
    }
    if (k === 'warmup_ratio') continue;
    merged[k] = v;
  }
  if (seed !== undefined) merged.seed = seed;
  const ratio = (req as { warmup_ratio?: number }).warmup_ratio;
  if (ratio !== undefined && req.warmup_steps === undefined && opts.totalSteps !== undefined) {
    merged.warmup_steps = Math.floor(ratio * opts.totalSteps);
  }
  const hyperparameters = ResolvedHyperparametersSchema.parse(merged);
  const pendingRatio = ratio !== undefined && req.warmup_steps === undefined && opts.totalSteps === undefined;
  return {
    hyperparameters,
    autoBatchSize,
    ...(pendingRatio ? { warmupRatio: ratio } : {}),
    memoryBudgetBytes: opts.memoryBudgetBytes,
    task: opts.task,
    paths: opts.paths,
  };
}

/** The effective peak learning rate. */
export function peakLearningRate(h: ResolvedHyperparameters): number {
  return h.learning_rate * h.learning_rate_multiplier;
}
