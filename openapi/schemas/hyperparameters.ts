/**
 * Hyperparameters: the one schema that the API validates, the OpenAPI document describes, the SDK
 * types, and the trainer reads (after resolution).
 *
 * OpenAI's three (`n_epochs`, `batch_size`, `learning_rate_multiplier`) keep their names and
 * `"auto"`; everything else is our additive extension (docs/ARCHITECTURE.md, "The contract"). A
 * requested value may be `"auto"` or omitted; `functions/domain` resolves every one before the job
 * starts, and the resolved set (`ResolvedHyperparameters`) is what jobs show and the trainer runs
 * with.
 *
 * Ranges are checked here; rules that span fields or need the data (warm-up shorter than training,
 * early stopping needs validation data, …) are checked in `functions/domain`.
 */
import { z } from '@hono/zod-openapi';

const auto = z.literal('auto');

export const OptimizerSchema = z.enum(['adamw', 'adam', 'sgd']).openapi('Optimizer');
export const LrSchedulerSchema = z
  .enum(['constant', 'linear', 'cosine', 'reduce_on_plateau'])
  .openapi('LrScheduler');
export const WarmupTypeSchema = z.enum(['linear', 'cosine']).openapi('WarmupType');
export const SamplingStrategySchema = z
  .enum(['shuffle', 'sequential', 'stratified', 'bootstrap', 'weighted'])
  .openapi('SamplingStrategy');
export const EarlyStoppingMetricSchema = z
  .enum(['valid_loss', 'valid_mean_token_accuracy', 'full_valid_loss', 'accuracy', 'valid_rewards_accuracy'])
  .openapi('EarlyStoppingMetric');

const d = (description: string) => ({ description });

export const EarlyStoppingSchema = z
  .strictObject({
    metric: EarlyStoppingMetricSchema.default('valid_loss').openapi(
      d(
        'The evaluated metric watched for improvement (lower loss or higher accuracy is better); ' +
          '`valid_rewards_accuracy` (DPO only): how often the held-out preferred answer gets the higher reward.',
      ),
    ),
    patience: z
      .int()
      .min(1)
      .max(100)
      .default(3)
      .openapi(d('Evaluations without a gain of at least `min_delta` before training stops.')),
    min_delta: z
      .number()
      .min(0)
      .default(0)
      .openapi(d('The smallest change of the metric that counts as an improvement.')),
    restore_best: z
      .boolean()
      .default(true)
      .openapi(d('Put the best evaluated weights back before saving the model.')),
  })
  .openapi('EarlyStopping', d('Stop when the validation metric stops improving; null or omitted = never.'));

export const ReduceOnPlateauSchema = z
  .strictObject({
    factor: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.5)
      .openapi(d('The learning rate is multiplied by this on each plateau.')),
    patience: z
      .int()
      .min(0)
      .max(100)
      .default(1)
      .openapi(d('Evaluations without improvement before the rate is reduced.')),
    min_lr: z.number().min(0).default(0).openapi(d('The rate is never reduced below this.')),
    threshold: z
      .number()
      .min(0)
      .default(1e-4)
      .openapi(d('The smallest loss decrease that counts as an improvement.')),
  })
  .openapi(
    'ReduceOnPlateau',
    d('`lr_scheduler: reduce_on_plateau` only: when and how far to lower the rate.'),
  );

export const SamplingSchema = z
  .strictObject({
    strategy: SamplingStrategySchema.default('shuffle').openapi(
      d(
        'Order of examples: shuffle (new order each epoch), sequential (file order), stratified (classes ' +
          'interleaved by label), bootstrap (drawn with replacement), weighted (drawn by `weight_field`).',
      ),
    ),
    weight_field: z
      .string()
      .min(1)
      .max(64)
      .default('sample_weight')
      .openapi(d("`weighted`: the example field holding each example's non-negative sampling weight.")),
  })
  .openapi('Sampling', d('How training examples are drawn into batches.'));

export const BatchSizeStepSchema = z
  .strictObject({
    step: z.int().min(0).openapi(d('The optimizer step from which this batch size applies.')),
    batch_size: z.int().min(1).max(256),
  })
  .openapi('BatchSizeStep');

/**
 * The hyperparameters as requested. Every field is optional; omitted means `auto`/default. Each
 * description is the help text that the OpenAPI document, the SDK and the dashboard's form show.
 */
export const HyperparametersSchema = z
  .strictObject({
    n_epochs: z
      .union([auto, z.int().min(1).max(50)])
      .optional()
      .openapi(d('Passes over the training examples. `auto`: chosen from the number of examples.')),
    max_steps: z
      .union([z.int().min(1), z.null()])
      .optional()
      .openapi(
        d(
          'End training after this many optimizer steps even if n_epochs would run longer (Hugging Face ' +
            "Trainer's max_steps), so runs compare at an equal step budget; the schedules span these steps. " +
            'null = off: n_epochs decides.',
        ),
      ),
    batch_size: z
      .union([auto, z.int().min(1).max(256)])
      .optional()
      .openapi(
        d(
          'Examples per optimizer step (before gradient accumulation multiplies it). `auto`: the largest that ' +
            'suits the data and fits the memory.',
        ),
      ),
    learning_rate_multiplier: z
      .union([auto, z.number().gt(0)])
      .optional()
      .openapi(
        d(
          "Scales the base model's default learning rate (OpenAI's knob). Exclusive with learning_rate. No upper bound (OpenAI has none) beyond the trainer's float32 range: the peak rate must stay below 3.4e38.",
        ),
      ),
    learning_rate: z
      .union([auto, z.number().gt(0).max(1)])
      .optional()
      .openapi(d("Absolute peak learning rate; overrides the base model's default times the multiplier.")),
    optimizer: OptimizerSchema.optional().openapi(
      d('adamw (decoupled weight decay), adam, or sgd (with `momentum`).'),
    ),
    momentum: z.number().min(0).lt(1).optional().openapi(d('sgd only: momentum of the update.')),
    beta1: z.number().min(0).lt(1).optional().openapi(d("Adam's first-moment (mean) decay rate.")),
    beta2: z.number().min(0).lt(1).optional().openapi(d("Adam's second-moment (variance) decay rate.")),
    epsilon: z.number().gt(0).max(1).optional().openapi(d("Adam's guard against dividing by zero.")),
    weight_decay: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .openapi(d('adamw: decoupled weight decay; adam and sgd: L2 penalty added to the gradient.')),
    warmup_steps: z
      .int()
      .min(0)
      .optional()
      .openapi(d('Steps over which the rate rises from 0 to its peak. Exclusive with warmup_ratio.')),
    warmup_ratio: z
      .number()
      .min(0)
      .lt(1)
      .optional()
      .openapi(d('Warm-up as a fraction of all steps. Exclusive with warmup_steps.')),
    warmup_type: WarmupTypeSchema.optional().openapi(d('Shape of the warm-up: linear or cosine.')),
    lr_scheduler: LrSchedulerSchema.optional().openapi(
      d(
        'The rate after warm-up: constant, linear (to 0), cosine (to 0), or reduce_on_plateau (lowered when ' +
          'the evaluated loss stops improving).',
      ),
    ),
    reduce_on_plateau: ReduceOnPlateauSchema.optional(),
    gradient_accumulation_steps: z
      .int()
      .min(1)
      .max(1024)
      .optional()
      .openapi(d('Micro-batches of batch_size whose gradients are summed into one optimizer step.')),
    gradient_checkpointing: z
      .boolean()
      .optional()
      .openapi(d('Recompute activations in the backward pass: less memory, more time.')),
    max_grad_norm: z
      .union([z.number().gt(0), z.null()])
      .optional()
      .openapi(d('Clip the global gradient norm to this; null = no clipping.')),
    dropout: z
      .number()
      .min(0)
      .lt(1)
      .optional()
      .openapi(d('Dropout rate while training (never at evaluation).')),
    early_stopping: z.union([EarlyStoppingSchema, z.null()]).optional(),
    sampling: SamplingSchema.optional(),
    batch_size_schedule: z
      .array(BatchSizeStepSchema)
      .max(32)
      .optional()
      .openapi(
        d(
          'Adaptive batch size: piecewise-constant batch size from each `step` on (overrides batch_size there).',
        ),
      ),
    max_sequence_length: z
      .union([auto, z.int().min(8).max(32768)])
      .optional()
      .openapi(d("Tokens per example after truncation. `auto`: the model's context length.")),
    eval_interval_steps: z
      .union([auto, z.int().min(1)])
      .optional()
      .openapi(
        d('A full validation pass every this many steps (and at the end). `auto`: about ten per run.'),
      ),
    checkpoint_interval_steps: z
      .union([auto, z.int().min(1)])
      .optional()
      .openapi(d('A checkpoint every this many steps (and at the end). `auto`: at most five per run.')),
    keep_checkpoints: z
      .int()
      .min(1)
      .max(20)
      .optional()
      .openapi(
        d(
          'Keep the best k checkpoints (by the early-stopping metric, else valid/train loss); the newest is kept too.',
        ),
      ),
    metrics_interval_steps: z.int().min(1).optional().openapi(d('One metrics event every this many steps.')),
  })
  .openapi('Hyperparameters');

/** Every value concrete: what a job shows once created and what the trainer runs with. */
export const ResolvedHyperparametersSchema = z
  .strictObject({
    n_epochs: z.int().min(1).max(50),
    max_steps: z.union([z.int().min(1), z.null()]),
    batch_size: z.int().min(1).max(256),
    learning_rate_multiplier: z.number().gt(0),
    learning_rate: z.number().gt(0),
    optimizer: OptimizerSchema,
    momentum: z.number().min(0).lt(1),
    beta1: z.number().min(0).lt(1),
    beta2: z.number().min(0).lt(1),
    epsilon: z.number().gt(0),
    weight_decay: z.number().min(0),
    warmup_steps: z.int().min(0),
    warmup_type: WarmupTypeSchema,
    lr_scheduler: LrSchedulerSchema,
    reduce_on_plateau: z.strictObject({
      factor: z.number(),
      patience: z.int(),
      min_lr: z.number(),
      threshold: z.number(),
    }),
    gradient_accumulation_steps: z.int().min(1),
    gradient_checkpointing: z.boolean(),
    max_grad_norm: z.union([z.number().gt(0), z.null()]),
    dropout: z.number().min(0).lt(1),
    early_stopping: z.union([
      z.strictObject({
        metric: EarlyStoppingMetricSchema,
        patience: z.int(),
        min_delta: z.number(),
        restore_best: z.boolean(),
      }),
      z.null(),
    ]),
    sampling: z.strictObject({ strategy: SamplingStrategySchema, weight_field: z.string() }),
    batch_size_schedule: z.array(BatchSizeStepSchema),
    max_sequence_length: z.int().min(8),
    eval_interval_steps: z.int().min(1),
    checkpoint_interval_steps: z.int().min(1),
    keep_checkpoints: z.int().min(1),
    metrics_interval_steps: z.int().min(1),
    seed: z.int(),
  })
  .openapi('ResolvedHyperparameters');

export type Hyperparameters = z.infer<typeof HyperparametersSchema>;
export type ResolvedHyperparameters = z.infer<typeof ResolvedHyperparametersSchema>;

/**
 * The value of every hyperparameter when a request leaves it out and no `auto` rule applies: the
 * one home of these defaults. The API resolves requests over them (functions/domain/hyperparameters)
 * and the trainer lays presets and files over them (runner/config.ts), nanoGPT `train.py` style.
 */
export const DEFAULT_HYPERPARAMETERS: ResolvedHyperparameters = {
  n_epochs: 3, // passes over the training examples
  max_steps: null, // end after this many optimizer steps, even within an epoch; null = n_epochs decides
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
  reduce_on_plateau: ReduceOnPlateauSchema.parse({}), // the schema's defaults, above
  gradient_accumulation_steps: 1, // micro-batches of batch_size per optimizer step
  gradient_checkpointing: false, // recompute activations in the backward pass (less memory, more time)
  max_grad_norm: 1, // clip the global gradient norm to this; null = no clipping
  dropout: 0, // dropout rate while training (never at evaluation)
  early_stopping: null, // { metric, patience, min_delta, restore_best } or null
  sampling: SamplingSchema.parse({}), // the schema's defaults, above
  batch_size_schedule: [], // [{ step, batch_size }]: batch size from `step` on (adaptive batch size)
  max_sequence_length: 256, // tokens per example after truncation
  eval_interval_steps: 50, // full validation pass every this many steps (and at the end)
  checkpoint_interval_steps: 100, // checkpoint every this many steps (and at the end)
  keep_checkpoints: 2, // best k checkpoints kept (the newest is always kept too, for resuming)
  metrics_interval_steps: 10, // one metrics report every this many steps
  seed: 42, // sampling order, dropout masks and fresh weights all derive from it
};
