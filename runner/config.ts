/**
 * The trainer's configuration: one typed object with commented defaults (nanoGPT `train.py` style).
 *
 * `DEFAULT_HYPERPARAMETERS` (declared in the contract, openapi/schemas/hyperparameters.ts) is the full resolved set; a preset or a hyperparameter file holds only
 * overrides, `resolveTrainerConfig` lays them over the defaults and validates the result with the
 * shared schema (openapi/schemas/hyperparameters.ts). The resolved object is written into every
 * checkpoint, so a resumed run continues with exactly the settings it started with.
 */
import type { z } from 'zod';
import {
  DEFAULT_HYPERPARAMETERS,
  HyperparametersSchema,
  ResolvedHyperparametersSchema,
  type Hyperparameters,
  type ResolvedHyperparameters,
} from '../openapi/schemas/hyperparameters';
import type { FileFormat } from '../openapi/schemas/file';
import { DEFAULT_DPO_SETTINGS, DpoHyperparametersSchema, type DpoSettings } from '../openapi/schemas/dpo';
import { ConfigError } from './errors';

/**
 * What the examples teach, named after the training file's format (the contract's FileFormat):
 * next-token LM on targets (chat, prompt_completion, text), sequence classification, or DPO on
 * preference pairs (preference).
 */
export type Task = FileFormat;

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
  /** DPO's own settings (β, cDPO label smoothing); they apply to preference data only. */
  dpo: DpoSettings;
  /** `batch_size: "auto"` was requested: probe for the largest batch under `memoryBudgetBytes`. */
  autoBatchSize: boolean;
  /** Bytes the probe may use for one step's tensors; undefined = a share of the machine's memory. */
  memoryBudgetBytes?: number;
  /** `warmup_ratio` requested without a step count: the trainer sets warmup_steps = ratio × total steps. */
  warmupRatio?: number;
  /** beta or label_smoothing was requested: the data must be preference pairs. */
  dpoRequested?: boolean;
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
  const { beta, label_smoothing, ...supervised } = parseHyperparameters(DpoHyperparametersSchema, rest);
  const req = parseHyperparameters(HyperparametersSchema, supervised);
  const preset = opts.preset ? PRESETS[opts.preset] : {};
  if (opts.preset && !preset) throw new ConfigError(`unknown preset '${opts.preset}'`, 'preset');
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
  const hyperparameters = parseHyperparameters(ResolvedHyperparametersSchema, merged);
  const pendingRatio = ratio !== undefined && req.warmup_steps === undefined && opts.totalSteps === undefined;
  const dpo: DpoSettings = {
    beta: typeof beta === 'number' ? beta : DEFAULT_DPO_SETTINGS.beta,
    label_smoothing: label_smoothing ?? DEFAULT_DPO_SETTINGS.label_smoothing,
  };
  return {
    hyperparameters,
    dpo,
    ...(beta !== undefined || label_smoothing !== undefined ? { dpoRequested: true } : {}),
    autoBatchSize,
    ...(pendingRatio ? { warmupRatio: ratio } : {}),
    memoryBudgetBytes: opts.memoryBudgetBytes,
    task: opts.task,
    paths: opts.paths,
  };
}

/** The schema's verdict as a ConfigError naming the first offending field. */
function parseHyperparameters<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: z.ZodError } },
  value: unknown,
): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = ['hyperparameters', ...issue.path.map(String)].join('.');
  throw new ConfigError(`${param}: ${issue.message}`, param, parsed.error);
}

/** The effective peak learning rate. */
export function peakLearningRate(h: ResolvedHyperparameters): number {
  return h.learning_rate * h.learning_rate_multiplier;
}
