/**
 * Values of the hyperparameters that have no `auto` rule, used when a request omits them.
 * They match the trainer's defaults (runner/config.ts DEFAULT_HYPERPARAMETERS), which the API
 * cannot import (DESIGN §2: functions/ imports openapi/ only); a unit test keeps the two in step.
 */
import type { ResolvedHyperparameters } from '../../../openapi/schemas/hyperparameters';

export const FIXED_DEFAULTS = {
  optimizer: 'adamw',
  momentum: 0.9,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weight_decay: 0.01,
  warmup_type: 'linear',
  lr_scheduler: 'linear',
  reduce_on_plateau: { factor: 0.5, patience: 1, min_lr: 0, threshold: 1e-4 },
  gradient_accumulation_steps: 1,
  gradient_checkpointing: false,
  max_grad_norm: 1,
  dropout: 0,
  early_stopping: null,
  sampling: { strategy: 'shuffle', weight_field: 'sample_weight' },
  batch_size_schedule: [],
  keep_checkpoints: 2,
} satisfies Partial<ResolvedHyperparameters>;

/** Training memory a job may plan for, by provider (what `batch_size: auto` fits into). */
export const MEMORY_BUDGET_BYTES = {
  /** The local runner shares the machine: plan for 4 GiB. */
  local: 4 * 1024 ** 3,
  /** The Batch GPU queue's smallest instance has a 16 GiB GPU (T4/V100 class). */
  batch: 16 * 1024 ** 3,
  openai: Number.POSITIVE_INFINITY,
} as const;

/** The hyperparameters OpenAI's supervised fine-tuning accepts (plus top-level seed and suffix). */
export const OPENAI_SUPPORTED = ['n_epochs', 'batch_size', 'learning_rate_multiplier'] as const;
