/**
 * Rules that span fields or need the data (ranges are the schema's job). Each broken rule is a
 * 400 naming the field (`<prefix>.<field>`) and the rule.
 */
import type { MethodType } from '../../../openapi/enums';
import type { DpoHyperparameters } from '../../../openapi/schemas/dpo';
import type { Hyperparameters } from '../../../openapi/schemas/hyperparameters';
import { ValidationError } from '../../errors';
import type { FileFormat, Provider } from '../records';
import { FIXED_DEFAULTS, OPENAI_DPO_SUPPORTED, OPENAI_SUPPORTED } from './defaults';

export interface DataFacts {
  format: FileFormat;
  trainingExamples: number;
  trainingTokens: number;
  /** Null without a validation file. */
  validationExamples: number | null;
  /** For `sampling.strategy: weighted`: whether every training example has the weight field. */
  hasWeightField?: boolean;
}

export interface RuleContext {
  provider: Provider;
  data: DataFacts;
  /** Field path the hyperparameters came in under, e.g. `method.supervised.hyperparameters`. */
  prefix: string;
  contextLength: number;
  /** The base model's default peak learning rate, which learning_rate_multiplier scales. */
  defaultLearningRate: number;
  /** Undefined = supervised. */
  method?: MethodType;
}

/** The largest float32: the trainer's arithmetic overflows past it. */
export const FLOAT32_MAX = 3.4028234663852886e38;

const present = (v: unknown) => v !== undefined;

/** Rules that need no step count; checked before resolution. */
export function checkRules(h: DpoHyperparameters, ctx: RuleContext): void {
  const p = (field: string) => `${ctx.prefix}.${field}`;
  const fail = (field: string, rule: string, code = 'invalid_value'): never => {
    throw new ValidationError(`${p(field)}: ${rule}`, p(field), code);
  };
  const hasValidation = ctx.data.validationExamples !== null;

  if (ctx.provider === 'openai') {
    const method = ctx.method ?? 'supervised';
    const supported: readonly string[] = method === 'dpo' ? OPENAI_DPO_SUPPORTED : OPENAI_SUPPORTED;
    const unsupported = Object.keys(h).filter(
      (k) => present(h[k as keyof DpoHyperparameters]) && !supported.includes(k),
    );
    if (unsupported.length) {
      throw new ValidationError(
        `provider "openai" cannot honour these hyperparameters: ${unsupported.join(', ')}. OpenAI's ${method === 'dpo' ? 'DPO' : 'supervised'} fine-tuning supports only ${supported.join(', ')} (plus seed and suffix). Remove them or use provider "local" or "batch".`,
        p(unsupported[0]),
        'unsupported_by_provider',
      );
    }
    if (ctx.data.format === 'classification' || ctx.data.format === 'text') {
      throw new ValidationError(
        `provider "openai" fine-tunes chat data only; training_file holds ${ctx.data.format} data.`,
        'training_file',
        'unsupported_by_provider',
      );
    }
  }

  if (
    present(h.learning_rate) &&
    h.learning_rate !== 'auto' &&
    present(h.learning_rate_multiplier) &&
    h.learning_rate_multiplier !== 'auto'
  ) {
    fail(
      'learning_rate',
      'learning_rate (absolute) and learning_rate_multiplier (relative to the model default) are mutually exclusive; set one',
    );
  }
  if (typeof h.learning_rate_multiplier === 'number') {
    // No upper bound (OpenAI has none) but what the trainer can compute: a finite float32 rate.
    const peak = ctx.defaultLearningRate * h.learning_rate_multiplier;
    if (!(peak < FLOAT32_MAX))
      fail(
        'learning_rate_multiplier',
        `the peak learning rate (the base model's ${ctx.defaultLearningRate} × ${h.learning_rate_multiplier} = ${peak}) must stay below 3.4e38, the largest float32 the trainer computes in`,
      );
  }
  if (present(h.warmup_steps) && present(h.warmup_ratio)) {
    fail('warmup_ratio', 'warmup_steps and warmup_ratio are mutually exclusive; set one');
  }
  const optimizer = h.optimizer ?? 'adamw';
  if (present(h.momentum) && optimizer !== 'sgd')
    fail('momentum', `momentum applies only to optimizer "sgd" (optimizer is "${optimizer}")`);
  for (const f of ['beta1', 'beta2', 'epsilon'] as const) {
    if (present(h[f]) && optimizer === 'sgd')
      fail(f, `${f} applies only to the Adam optimizers (optimizer is "sgd")`);
  }
  if (h.early_stopping && !hasValidation) {
    fail('early_stopping', 'early stopping needs validation data: set validation_file');
  }
  if (h.early_stopping?.metric === 'accuracy' && ctx.data.format !== 'classification') {
    fail(
      'early_stopping.metric',
      `metric "accuracy" needs classification data (training_file holds ${ctx.data.format} data)`,
    );
  }
  if (h.early_stopping?.metric === 'valid_rewards_accuracy' && ctx.data.format !== 'preference') {
    fail(
      'early_stopping.metric',
      `metric "valid_rewards_accuracy" needs preference data and method "dpo" (training_file holds ${ctx.data.format} data)`,
    );
  }
  if (h.lr_scheduler === 'reduce_on_plateau' && !hasValidation) {
    fail(
      'lr_scheduler',
      'lr_scheduler "reduce_on_plateau" needs validation data to watch: set validation_file',
    );
  }
  if (h.reduce_on_plateau && (h.lr_scheduler ?? 'linear') !== 'reduce_on_plateau') {
    fail('reduce_on_plateau', 'reduce_on_plateau settings apply only with lr_scheduler "reduce_on_plateau"');
  }
  const strategy = h.sampling?.strategy;
  if (strategy === 'stratified' && ctx.data.format !== 'classification') {
    fail(
      'sampling.strategy',
      `stratified sampling needs labelled classification data (text/label); training_file holds ${ctx.data.format} data`,
    );
  }
  if (strategy === 'weighted' && !ctx.data.hasWeightField) {
    const field = h.sampling?.weight_field ?? FIXED_DEFAULTS.sampling.weight_field;
    fail(
      'sampling.weight_field',
      `weighted sampling needs the weight field "${field}" (a non-negative number) on every training example`,
    );
  }
  const schedule = h.batch_size_schedule ?? [];
  schedule.forEach((s, i) => {
    if (i > 0 && s.step <= schedule[i - 1].step) {
      fail(`batch_size_schedule[${i}].step`, 'steps must be strictly increasing');
    }
  });
  if (typeof h.max_sequence_length === 'number' && h.max_sequence_length > ctx.contextLength) {
    fail('max_sequence_length', `must be at most the model's context length (${ctx.contextLength})`);
  }
}

/** Rules that need the step count (known once batch size and epochs are resolved). */
export function checkStepRules(
  h: Hyperparameters,
  totalSteps: number,
  stepsExplanation: string,
  prefix: string,
): void {
  if (typeof h.warmup_steps === 'number' && h.warmup_steps >= totalSteps) {
    throw new ValidationError(
      `${prefix}.warmup_steps: warm-up must be shorter than training: warmup_steps (${h.warmup_steps}) must be less than the total steps (${totalSteps}; ${stepsExplanation})`,
      `${prefix}.warmup_steps`,
    );
  }
  const schedule = h.batch_size_schedule ?? [];
  const last = schedule[schedule.length - 1];
  if (last && last.step >= totalSteps) {
    throw new ValidationError(
      `${prefix}.batch_size_schedule[${schedule.length - 1}].step: ${last.step} is not reached; training has ${totalSteps} steps`,
      `${prefix}.batch_size_schedule[${schedule.length - 1}].step`,
    );
  }
}
