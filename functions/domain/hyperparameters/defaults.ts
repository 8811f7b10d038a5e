/**
 * The hyperparameters that have no `auto` rule: a request that omits one gets the contract's default
 * (openapi/schemas/hyperparameters.ts DEFAULT_HYPERPARAMETERS), the same value the trainer starts from.
 */
import type { Provider } from '../../../openapi/enums';
import { DEFAULT_HYPERPARAMETERS } from '../../../openapi/schemas/hyperparameters';

const FIXED_KEYS = [
  'optimizer',
  'momentum',
  'beta1',
  'beta2',
  'epsilon',
  'weight_decay',
  'warmup_type',
  'lr_scheduler',
  'reduce_on_plateau',
  'gradient_accumulation_steps',
  'gradient_checkpointing',
  'max_grad_norm',
  'dropout',
  'early_stopping',
  'sampling',
  'batch_size_schedule',
  'keep_checkpoints',
  'max_steps',
] as const;

export const FIXED_DEFAULTS = Object.fromEntries(
  FIXED_KEYS.map((k) => [k, DEFAULT_HYPERPARAMETERS[k]]),
) as Pick<typeof DEFAULT_HYPERPARAMETERS, (typeof FIXED_KEYS)[number]>;

/** Training memory a job may plan for, by provider (what `batch_size: auto` fits into). */
export const MEMORY_BUDGET_BYTES = {
  /** The local runner shares the machine: plan for 4 GiB. */
  local: 4 * 1024 ** 3,
  /** The Batch GPU queue's smallest instance has a 16 GiB GPU (T4/V100 class). */
  batch: 16 * 1024 ** 3,
  openai: Number.POSITIVE_INFINITY,
} as const satisfies Record<Provider, number>;

/** The hyperparameters OpenAI's supervised fine-tuning accepts (plus top-level seed and suffix). */
export const OPENAI_SUPPORTED = ['n_epochs', 'batch_size', 'learning_rate_multiplier'] as const;

/** What OpenAI's DPO method accepts: the supervised three and `beta`. */
export const OPENAI_DPO_SUPPORTED = [...OPENAI_SUPPORTED, 'beta'] as const;

/**
 * DPO's `auto` learning rate is the model's supervised default times this: preference tuning moves
 * a model that already answers well, and published DPO rates sit 10–20× below supervised ones.
 */
export const DPO_LEARNING_RATE_SCALE = 0.1;
