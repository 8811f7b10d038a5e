/**
 * Resolving every `auto` (and every omitted field) to a concrete value, with the reason for each.
 * Pure: the same request, data facts and model give the same result.
 */
import type { MethodType } from '../../../openapi/enums';
import {
  DEFAULT_DPO_SETTINGS,
  type DpoHyperparameters,
  type DpoSettings,
} from '../../../openapi/schemas/dpo';
import {
  EarlyStoppingSchema,
  type Hyperparameters,
  type ResolvedHyperparameters,
} from '../../../openapi/schemas/hyperparameters';
import type { BaseModelInfo } from '../models';
import { formatCount } from '../models';
import type { Provider } from '../records';
import { DPO_LEARNING_RATE_SCALE, FIXED_DEFAULTS, MEMORY_BUDGET_BYTES } from './defaults';
import { checkRules, checkStepRules, type DataFacts } from './rules';

export interface ResolveInput {
  /** `beta` and `label_smoothing` apply to method `dpo` only. */
  requested: DpoHyperparameters;
  /** Undefined = supervised. */
  method?: MethodType;
  /** Where the hyperparameters came from in the request, for error params. */
  prefix: string;
  provider: Provider;
  model: BaseModelInfo;
  data: DataFacts;
  seed: number;
}

export interface Resolution {
  /** DPO jobs also carry `beta` and `label_smoothing`. */
  hyperparameters: ResolvedHyperparameters & Partial<DpoSettings>;
  explanations: Record<string, string>;
  stepsPerEpoch: number;
  totalSteps: number;
  /** Examples seen over the whole run (n_epochs × examples). */
  examplesSeen: number;
}

// OpenAI's published default-epochs heuristic: aim for ~3 epochs, but at least 100 and at most
// 25,000 examples seen, within 1..25 epochs.
const TARGET_EPOCHS = 3;
const MIN_TARGET_EXAMPLES = 100;
const MAX_TARGET_EXAMPLES = 25_000;
const MIN_DEFAULT_EPOCHS = 1;
const MAX_DEFAULT_EPOCHS = 25;

export function autoEpochs(n: number): { value: number; why: string } {
  if (n * TARGET_EPOCHS < MIN_TARGET_EXAMPLES) {
    const value = Math.min(MAX_DEFAULT_EPOCHS, Math.floor(MIN_TARGET_EXAMPLES / n));
    return {
      value,
      why: `auto: ${n} examples × ${TARGET_EPOCHS} epochs would see fewer than ${MIN_TARGET_EXAMPLES} examples, so ${value} epochs (⌊${MIN_TARGET_EXAMPLES}/${n}⌋, at most ${MAX_DEFAULT_EPOCHS}; OpenAI's heuristic)`,
    };
  }
  if (n * TARGET_EPOCHS > MAX_TARGET_EXAMPLES) {
    const value = Math.max(MIN_DEFAULT_EPOCHS, Math.floor(MAX_TARGET_EXAMPLES / n));
    return {
      value,
      why: `auto: ${n} examples × ${TARGET_EPOCHS} epochs would see more than ${MAX_TARGET_EXAMPLES} examples, so ${value} epoch(s) (⌊${MAX_TARGET_EXAMPLES}/${n}⌋, at least 1; OpenAI's heuristic)`,
    };
  }
  return {
    value: TARGET_EPOCHS,
    why: `auto: ${TARGET_EPOCHS} epochs, since ${n} examples × ${TARGET_EPOCHS} lies within ${MIN_TARGET_EXAMPLES}..${MAX_TARGET_EXAMPLES} examples seen (OpenAI's heuristic)`,
  };
}

/** Training memory per example in fp32: activations per layer ≈ s·h·68 + 10·a·s² bytes (Korthikanti et al. 2022, doubled for fp32). */
export function memoryPerExample(model: BaseModelInfo, seqLen: number, checkpointing: boolean): number {
  const heads = Math.max(1, Math.round(model.hiddenSize / 64));
  const perLayer = seqLen * model.hiddenSize * 68 + 10 * heads * seqLen * seqLen;
  const layers = Math.max(1, model.layers);
  // With gradient checkpointing only each layer's input is kept, and one layer is recomputed at a time.
  return checkpointing ? layers * seqLen * model.hiddenSize * 4 + perLayer : layers * perLayer;
}

function floorPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, n)));
}

export function autoBatchSize(
  n: number,
  model: BaseModelInfo,
  provider: Provider,
  seqLen: number,
  checkpointing: boolean,
): { value: number; why: string } {
  const fromData = Math.min(256, floorPow2(Math.ceil(n * 0.002)));
  const dataWhy = `≈0.2% of ${n} examples, rounded down to a power of two → ${fromData}`;
  const budget = MEMORY_BUDGET_BYTES[provider];
  if (!Number.isFinite(budget)) {
    return {
      value: Math.min(fromData, n),
      why: `auto: ${dataWhy} (OpenAI resolves its own auto batch size; the job shows OpenAI's value once it runs)`,
    };
  }
  const fixed = model.parameterCount * 16; // fp32 weights + gradients + two Adam moments
  const perExample = memoryPerExample(model, seqLen, checkpointing);
  const fits = Math.max(1, Math.floor((budget - fixed) / perExample));
  const value = Math.max(1, Math.min(fromData, floorPow2(fits), n, 256));
  const gib = (b: number) => `${(b / 1024 ** 3).toFixed(2)} GiB`;
  return {
    value,
    why:
      `auto: the smaller of the data rule (${dataWhy}) and the memory rule (${provider} plans for ${gib(budget)}; ` +
      `${formatCount(model.parameterCount)} parameters × 16 bytes for weights, gradients and Adam moments = ${gib(fixed)}; ` +
      `${(perExample / 1024 ** 2).toFixed(1)} MiB of activations per example at ${seqLen} tokens → at most ${floorPow2(fits)} per batch)` +
      (value === n && n < fromData ? `, capped at the ${n} examples` : ''),
  };
}

/** Optimizer steps over the run; a batch-size schedule changes the batch from its steps on. */
export function countSteps(
  examples: number,
  epochs: number,
  batchSize: number,
  accumulation: number,
  schedule: { step: number; batch_size: number }[],
): { stepsPerEpoch: number; totalSteps: number; why: string } {
  const stepsPerEpoch = Math.ceil(examples / (batchSize * accumulation));
  if (schedule.length === 0) {
    return {
      stepsPerEpoch,
      totalSteps: stepsPerEpoch * epochs,
      why: `⌈${examples} examples / (batch_size ${batchSize} × gradient_accumulation_steps ${accumulation})⌉ = ${stepsPerEpoch} steps per epoch × ${epochs} epochs`,
    };
  }
  let remaining = examples * epochs;
  let step = 0;
  let i = -1;
  while (remaining > 0) {
    while (i + 1 < schedule.length && schedule[i + 1].step <= step) i++;
    remaining -= (i >= 0 ? schedule[i].batch_size : batchSize) * accumulation;
    step++;
  }
  return {
    stepsPerEpoch,
    totalSteps: step,
    why: `${examples * epochs} examples seen with the batch_size_schedule take ${step} steps`,
  };
}

/** A resolved value and why it is what it is. */
interface Resolved<T> {
  value: T;
  why: string;
}

const isAuto = (v: unknown) => v === undefined || v === 'auto';

function sequenceLength(h: Hyperparameters, model: BaseModelInfo): Resolved<number> {
  if (!isAuto(h.max_sequence_length)) return { value: h.max_sequence_length as number, why: 'requested' };
  return {
    value: model.contextLength,
    why: `auto: the model's context length (${model.contextLength}, from ${model.source})`,
  };
}

function warmupSteps(h: Hyperparameters, totalSteps: number): Resolved<number> {
  if (typeof h.warmup_steps === 'number') return { value: h.warmup_steps, why: 'requested' };
  if (typeof h.warmup_ratio === 'number') {
    return {
      value: Math.round(h.warmup_ratio * totalSteps),
      why: `warmup_ratio ${h.warmup_ratio} × ${totalSteps} total steps, rounded`,
    };
  }
  return { value: 0, why: 'default: no warm-up' };
}

/** The peak rate is learning_rate × learning_rate_multiplier: an absolute rate fixes the multiplier at 1. */
function learningRate(
  h: Hyperparameters,
  model: BaseModelInfo,
  dpo: boolean,
): { learningRate: number; multiplier: number; why: Record<string, string> } {
  if (typeof h.learning_rate === 'number') {
    return {
      learningRate: h.learning_rate,
      multiplier: 1,
      why: {
        learning_rate: 'requested (absolute; the multiplier is 1)',
        learning_rate_multiplier: 'fixed at 1 because learning_rate was given',
      },
    };
  }
  const multiplier = typeof h.learning_rate_multiplier === 'number' ? h.learning_rate_multiplier : 1;
  const base = `the base model's default ${model.defaultLearningRate} (${model.learningRateSource})`;
  // DPO moves a model that already answers well: published DPO rates sit 10–20× below supervised ones.
  const rate = dpo
    ? +(model.defaultLearningRate * DPO_LEARNING_RATE_SCALE).toPrecision(6)
    : model.defaultLearningRate;
  const why = dpo
    ? `auto: DPO wants far smaller steps than supervised tuning, so ${base} × ${DPO_LEARNING_RATE_SCALE} = ${rate} ` +
      `(the DPO paper trains at 1e-6 and TRL's DPO default is 1e-6 where supervised tuning of the same models uses ` +
      `1e-5 to 2e-5; larger steps push the policy away from the reference and lower both answers' likelihoods)`
    : `auto: ${base}`;
  return {
    learningRate: rate,
    multiplier,
    why: {
      learning_rate_multiplier:
        typeof h.learning_rate_multiplier === 'number'
          ? 'requested; no upper bound (as at OpenAI) beyond the float32 range the trainer computes in (the peak rate must stay below 3.4e38); rates far above the default usually diverge'
          : 'auto: 1 (the base model default rate as is)',
      learning_rate: `${why}; the peak rate is learning_rate × learning_rate_multiplier = ${+(rate * multiplier).toPrecision(6)}`,
    },
  };
}

/** DPO's own two: beta (OpenAI's `auto` → 0.1) and cDPO's label smoothing. */
function dpoSettings(
  h: DpoHyperparameters,
  provider: Provider,
): Resolved<DpoSettings> & { whyEach: Record<string, string> } {
  const beta = typeof h.beta === 'number' ? h.beta : DEFAULT_DPO_SETTINGS.beta;
  let betaWhy =
    typeof h.beta === 'number'
      ? 'requested'
      : `auto: ${beta}, the DPO paper's and TRL's usual β (higher holds the model closer to where it started)`;
  if (provider === 'openai' && isAuto(h.beta))
    betaWhy += '; an estimate: OpenAI resolves auto itself and the job mirrors its value once it runs';
  const labelSmoothing = h.label_smoothing ?? DEFAULT_DPO_SETTINGS.label_smoothing;
  return {
    value: { beta, label_smoothing: labelSmoothing },
    why: betaWhy,
    whyEach: {
      beta: betaWhy,
      label_smoothing:
        h.label_smoothing === undefined ? 'default: 0 (plain DPO; > 0 is conservative DPO)' : 'requested',
    },
  };
}

/** How often the run evaluates, checkpoints and reports metrics, scaled to its length. */
function intervals(
  h: Hyperparameters,
  steps: { totalSteps: number; stepsPerEpoch: number },
  hasValidation: boolean,
): { evalEvery: number; checkpointEvery: number; metricsEvery: number; why: Record<string, string> } {
  const total = steps.totalSteps;
  const why: Record<string, string> = {};
  let evalEvery: number;
  if (typeof h.eval_interval_steps === 'number') {
    evalEvery = h.eval_interval_steps;
    why.eval_interval_steps = 'requested';
  } else if (hasValidation) {
    evalEvery = Math.max(1, Math.ceil(total / 10));
    why.eval_interval_steps = `auto: ⌈${total} total steps / 10⌉, about ten evaluations per run`;
  } else {
    evalEvery = total;
    why.eval_interval_steps = `auto: ${total} (no validation file: training metrics only, one evaluation at the end)`;
  }
  let checkpointEvery: number;
  if (typeof h.checkpoint_interval_steps === 'number') {
    checkpointEvery = h.checkpoint_interval_steps;
    why.checkpoint_interval_steps = 'requested';
  } else {
    checkpointEvery = Math.max(1, Math.ceil(total / 5), Math.min(steps.stepsPerEpoch, 50));
    checkpointEvery = Math.min(checkpointEvery, total);
    why.checkpoint_interval_steps = `auto: every ${checkpointEvery} steps: at most 5 checkpoints per run (⌈${total}/5⌉) and not more often than every epoch or 50 steps`;
  }
  const metricsEvery = h.metrics_interval_steps ?? Math.min(10, Math.max(1, Math.ceil(total / 100)));
  why.metrics_interval_steps = h.metrics_interval_steps
    ? 'requested'
    : `default: every ${metricsEvery} steps (at most 10, about 100 reports per run)`;
  return { evalEvery, checkpointEvery, metricsEvery, why };
}

export function resolveHyperparameters(input: ResolveInput): Resolution {
  const { requested: h, model, data, provider, prefix } = input;
  const dpo = input.method === 'dpo';
  checkRules(h, {
    provider,
    data,
    prefix,
    contextLength: model.contextLength,
    defaultLearningRate: model.defaultLearningRate,
    method: input.method,
  });
  const why: Record<string, string> = {};
  const n = data.trainingExamples;

  const epochs = isAuto(h.n_epochs) ? autoEpochs(n) : { value: h.n_epochs as number, why: 'requested' };
  why.n_epochs = epochs.why;
  const seqLen = sequenceLength(h, model);
  why.max_sequence_length = seqLen.why;
  const checkpointing = h.gradient_checkpointing ?? FIXED_DEFAULTS.gradient_checkpointing;
  const batch = isAuto(h.batch_size)
    ? autoBatchSize(n, model, provider, seqLen.value, checkpointing)
    : { value: h.batch_size as number, why: 'requested' };
  why.batch_size = batch.why;

  const accumulation = h.gradient_accumulation_steps ?? FIXED_DEFAULTS.gradient_accumulation_steps;
  const schedule = h.batch_size_schedule ?? [];
  const planned = countSteps(n, epochs.value, batch.value, accumulation, schedule);
  const steps = capSteps(planned, h.max_steps ?? null);
  why.max_steps = steps.maxStepsWhy;
  if (steps.totalSteps < planned.totalSteps) why.n_epochs += `; max_steps ends training sooner`;
  checkStepRules(h, steps.totalSteps, steps.why, prefix);

  const warmup = warmupSteps(h, steps.totalSteps);
  why.warmup_steps = warmup.why;
  const rate = learningRate(h, model, dpo);
  Object.assign(why, rate.why);
  const every = intervals(h, steps, data.validationExamples !== null);
  Object.assign(why, every.why);
  why.seed = 'the job seed (request `seed`, or drawn at random when omitted)';
  if (provider === 'openai') {
    // The OpenAI dispatcher sends only explicit values; OpenAI resolves each auto itself.
    for (const k of ['n_epochs', 'batch_size', 'learning_rate_multiplier'] as const) {
      if (isAuto(h[k]))
        why[k] =
          `${why[k]}; an estimate: OpenAI resolves auto itself and the job mirrors its value once it runs`;
    }
  }

  const preference = dpo ? dpoSettings(h, provider) : undefined;
  if (preference) Object.assign(why, preference.whyEach);

  const hyperparameters: ResolvedHyperparameters & Partial<DpoSettings> = {
    ...FIXED_DEFAULTS,
    n_epochs: epochs.value,
    batch_size: batch.value,
    learning_rate_multiplier: rate.multiplier,
    learning_rate: rate.learningRate,
    optimizer: h.optimizer ?? FIXED_DEFAULTS.optimizer,
    momentum: h.momentum ?? FIXED_DEFAULTS.momentum,
    beta1: h.beta1 ?? FIXED_DEFAULTS.beta1,
    beta2: h.beta2 ?? FIXED_DEFAULTS.beta2,
    epsilon: h.epsilon ?? FIXED_DEFAULTS.epsilon,
    weight_decay: h.weight_decay ?? FIXED_DEFAULTS.weight_decay,
    warmup_steps: warmup.value,
    warmup_type: h.warmup_type ?? FIXED_DEFAULTS.warmup_type,
    lr_scheduler: h.lr_scheduler ?? FIXED_DEFAULTS.lr_scheduler,
    reduce_on_plateau: { ...FIXED_DEFAULTS.reduce_on_plateau, ...h.reduce_on_plateau },
    gradient_accumulation_steps: accumulation,
    gradient_checkpointing: checkpointing,
    max_grad_norm: h.max_grad_norm === undefined ? FIXED_DEFAULTS.max_grad_norm : h.max_grad_norm,
    dropout: h.dropout ?? FIXED_DEFAULTS.dropout,
    // The contract's defaults for whatever the request left out of it.
    early_stopping: h.early_stopping ? EarlyStoppingSchema.parse(h.early_stopping) : null,
    sampling: { ...FIXED_DEFAULTS.sampling, ...h.sampling },
    batch_size_schedule: schedule,
    max_sequence_length: seqLen.value,
    max_steps: h.max_steps ?? FIXED_DEFAULTS.max_steps,
    eval_interval_steps: every.evalEvery,
    checkpoint_interval_steps: every.checkpointEvery,
    keep_checkpoints: h.keep_checkpoints ?? FIXED_DEFAULTS.keep_checkpoints,
    metrics_interval_steps: every.metricsEvery,
    seed: input.seed,
    ...preference?.value,
  };
  return {
    hyperparameters,
    explanations: why,
    stepsPerEpoch: steps.stepsPerEpoch,
    totalSteps: steps.totalSteps,
    examplesSeen: Math.min(
      n * epochs.value,
      examplesInSteps(steps.totalSteps, batch.value, accumulation, schedule),
    ),
  };
}

/** `max_steps` (when set) caps the steps n_epochs would take. */
export function capSteps(
  planned: { stepsPerEpoch: number; totalSteps: number; why: string },
  maxSteps: number | null,
): { stepsPerEpoch: number; totalSteps: number; why: string; maxStepsWhy: string } {
  if (maxSteps === null)
    return { ...planned, maxStepsWhy: 'default: off (n_epochs decides how long training runs)' };
  if (maxSteps >= planned.totalSteps) {
    return {
      ...planned,
      maxStepsWhy: `requested; n_epochs ends training first, after ${planned.totalSteps} steps (${planned.why})`,
    };
  }
  return {
    ...planned,
    totalSteps: maxSteps,
    why: `max_steps ${maxSteps} (n_epochs alone: ${planned.why} = ${planned.totalSteps})`,
    maxStepsWhy: `requested: training ends after ${maxSteps} steps, before the ${planned.totalSteps} that n_epochs would run`,
  };
}

/** Examples the first `steps` optimizer steps take (the batch size schedule included). */
function examplesInSteps(
  steps: number,
  batchSize: number,
  accumulation: number,
  schedule: { step: number; batch_size: number }[],
): number {
  let examples = 0;
  for (let step = 0, i = -1; step < steps; step++) {
    while (i + 1 < schedule.length && schedule[i + 1].step <= step) i++;
    examples += (i >= 0 ? schedule[i].batch_size : batchSize) * accumulation;
  }
  return examples;
}
