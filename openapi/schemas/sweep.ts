/**
 * Sweep configuration: what a hyperparameter sweep searches (search space), what it optimises
 * (objective), how it proposes trials (strategy), when it stops a trial early (early stopping), and
 * when the sweep itself ends (limits, completion). The sweep resource embeds `SweepConfigShape`
 * and applies `checkSweepConfig`; `functions/domain/sweeps` runs the search from the parsed value.
 *
 * Rules that span fields are checked here with an issue path naming the field, so that the API's
 * 400 says which field broke which rule (e.g. `search_space.lr.low`: "log scale needs low > 0").
 */
import { z } from '@hono/zod-openapi';
import { EvalSamplingParamsSchema, FileIdSourceSchema, InputMessagesSchema } from './eval-run';

const NAME = /^[a-z][a-z0-9_]{0,63}$/;

export const ChoiceValueSchema = z
  .union([z.string().max(256), z.number(), z.boolean()])
  .openapi('SweepChoiceValue');

/** A parameter is sampled only while `parameter` (a categorical) holds one of the given values. */
export const ParameterConditionSchema = z
  .strictObject({
    parameter: z.string().regex(NAME),
    equals: ChoiceValueSchema.optional(),
    in: z.array(ChoiceValueSchema).min(1).max(100).optional(),
  })
  .openapi('SweepParameterCondition');

const scale = z.enum(['linear', 'log']);

export const FloatParameterSchema = z
  .strictObject({
    type: z.literal('float'),
    low: z.number(),
    high: z.number(),
    /** `log`: sampled uniformly in log space (learning rates, weight decay); needs low > 0. */
    scale: scale.default('linear'),
    /** Grid strategy only: this many points from low to high inclusive, evenly spaced in `scale`. */
    grid_points: z.int().min(2).max(100).optional(),
    condition: ParameterConditionSchema.optional(),
  })
  .openapi('SweepFloatParameter');

export const IntParameterSchema = z
  .strictObject({
    type: z.literal('int'),
    low: z.int(),
    high: z.int(),
    step: z.int().min(1).default(1),
    scale: scale.default('linear'),
    /** Grid strategy only: this many values low..high (rounded to `step`); default every value. */
    grid_points: z.int().min(2).max(100).optional(),
    condition: ParameterConditionSchema.optional(),
  })
  .openapi('SweepIntParameter');

export const CategoricalParameterSchema = z
  .strictObject({
    type: z.literal('categorical'),
    choices: z.array(ChoiceValueSchema).min(1).max(100),
    condition: ParameterConditionSchema.optional(),
  })
  .openapi('SweepCategoricalParameter');

export const SweepParameterSchema = z
  .discriminatedUnion('type', [FloatParameterSchema, IntParameterSchema, CategoricalParameterSchema])
  .openapi('SweepParameter');

/** Parameter name → distribution. Names are the hyperparameter names the trials run with. */
export const SearchSpaceSchema = z
  .record(z.string().regex(NAME), SweepParameterSchema)
  .superRefine((space, ctx) => checkSearchSpace(space, ctx, []))
  .openapi('SweepSearchSpace');

export const SweepMetricSchema = z
  .enum([
    'valid_loss',
    'full_valid_loss',
    'train_loss',
    'valid_mean_token_accuracy',
    'full_valid_mean_token_accuracy',
    'train_mean_token_accuracy',
    'accuracy',
    'valid_rewards_accuracy',
    'valid_rewards_margin',
  ])
  .openapi('SweepMetric');

const goal = z.enum(['minimize', 'maximize']);

/** A metric the trial jobs report while they train (evaluations on base_job.validation_file). */
export const MetricObjectiveSchema = z
  .strictObject({ type: z.literal('metric').default('metric'), metric: SweepMetricSchema, goal })
  .openapi('SweepMetricObjective');

/**
 * An eval's pass rate on each trial's fine-tuned model: when a trial's job succeeds, the sweep runs
 * the eval (`/v1/evals`) with a `completions` data source sampling that model, and the trial's
 * value is the share of rows that pass `testing_criteria` (a criterion's name), or every criterion
 * when omitted. Trials report no intermediate values, so early stopping must be `none`.
 */
export const EvalObjectiveSchema = z
  .strictObject({
    type: z.literal('eval'),
    eval_id: z.string().min(1).max(128),
    testing_criteria: z.string().min(1).max(256).optional(),
    goal,
    /** How each row becomes the prompt, as in a completions run (e.g. `{{item.messages[0].content}}`). */
    input_messages: InputMessagesSchema,
    sampling_params: EvalSamplingParamsSchema.optional(),
    /**
     * The rows (a JSONL file of items); omitted: base_job.validation_file, whose lines are items as
     * they are (`{"messages": [...]}` for chat data).
     */
    source: FileIdSourceSchema.optional(),
  })
  .openapi('SweepEvalObjective');

/** `type` may be left out for a metric (the shape sweeps had before eval objectives). */
export const ObjectiveSchema = z
  .discriminatedUnion('type', [MetricObjectiveSchema, EvalObjectiveSchema])
  .openapi('SweepObjective', {
    // The generator leaves a defaulted discriminator out of the mapping; name both branches.
    discriminator: {
      propertyName: 'type',
      mapping: {
        metric: '#/components/schemas/SweepMetricObjective',
        eval: '#/components/schemas/SweepEvalObjective',
      },
    },
  });

const seed = z.int().min(0).max(0xffffffff);

export const TpeOptionsSchema = z
  .strictObject({
    type: z.literal('tpe'),
    /** Omitted: the service picks one and shows it on the sweep, so a sweep can be replayed. */
    seed: seed.optional(),
    /** Trials sampled at random before the model is used (Optuna's default 10). */
    n_startup_trials: z.int().min(1).max(1000).default(10),
    /** Candidates drawn from the good-trials density per suggestion; the best ratio wins. */
    n_ei_candidates: z.int().min(1).max(1000).default(24),
    /** Good trials = min(ceil(gamma_factor · n), gamma_max) best of n (Optuna's default). */
    gamma_factor: z.number().gt(0).max(1).default(0.1),
    gamma_max: z.int().min(1).max(1000).default(25),
    prior_weight: z.number().gt(0).max(100).default(1),
    consider_magic_clip: z.boolean().default(true),
    consider_endpoints: z.boolean().default(false),
    /** Running trials count as the worst results, so parallel suggestions spread out. */
    constant_liar: z.boolean().default(true),
  })
  .openapi('SweepTpeStrategy');

export const SweepStrategySchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('grid') }).openapi('SweepGridStrategy'),
    z.strictObject({ type: z.literal('random'), seed: seed.optional() }).openapi('SweepRandomStrategy'),
    TpeOptionsSchema,
  ])
  .openapi('SweepStrategy');

export const MedianStoppingSchema = z
  .strictObject({
    type: z.literal('median'),
    /** No trial is stopped until this many trials have completed. */
    n_startup_trials: z.int().min(0).max(1000).default(5),
    /** A trial is never stopped before reporting this step. */
    n_warmup_steps: z.int().min(0).default(0),
    /** Decide only at every `interval_steps`-th step after the warm-up. */
    interval_steps: z.int().min(1).default(1),
    /** Completed trials that must have reported the same step before deciding. */
    n_min_trials: z.int().min(1).default(1),
  })
  .openapi('SweepMedianStopping');

export const AshaStoppingSchema = z
  .strictObject({
    type: z.literal('asha'),
    /** What a resource unit is: trials report metrics per epoch or per optimizer step. */
    resource: z.enum(['epochs', 'steps']).default('epochs'),
    min_resource: z.int().min(1).default(1),
    /** The full budget of one trial (its n_epochs, or its steps). */
    max_resource: z.int().min(1),
    /** eta: rungs at min_resource·eta^k; the top 1/eta of each rung continue. */
    reduction_factor: z.int().min(2).max(100).default(3),
  })
  .openapi('SweepAshaStopping');

export const SweepEarlyStoppingSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('none') }).openapi('SweepNoStopping'),
    MedianStoppingSchema,
    AshaStoppingSchema,
  ])
  .openapi('SweepEarlyStopping');

export const SweepLimitsSchema = z
  .strictObject({
    max_trials: z.int().min(1).max(1000).default(20),
    max_parallel_trials: z.int().min(1).max(64).default(1),
    max_runtime_seconds: z
      .int()
      .min(60)
      .max(30 * 24 * 3600)
      .optional(),
  })
  .openapi('SweepLimits');

export const SweepCompletionSchema = z
  .strictObject({
    /** Stop once a trial's objective reaches this value (≤ when minimising, ≥ when maximising). */
    target_value: z.number().optional(),
    /** Stop after this many finished trials in a row without a new best. */
    no_improvement_trials: z.int().min(1).max(1000).optional(),
  })
  .openapi('SweepCompletion');

export const SweepWarmStartSchema = z
  .strictObject({ sweep_ids: z.array(z.string().min(1).max(64)).min(1).max(10) })
  .openapi('SweepWarmStart');

/** The fields a sweep's create request carries for the search; spread into the resource schema. */
export const SweepConfigShape = {
  search_space: SearchSpaceSchema,
  objective: ObjectiveSchema,
  strategy: SweepStrategySchema.default({ type: 'random' }),
  early_stopping: SweepEarlyStoppingSchema.default({ type: 'none' }),
  limits: SweepLimitsSchema.default({ max_trials: 20, max_parallel_trials: 1 }),
  completion: SweepCompletionSchema.optional(),
  warm_start: SweepWarmStartSchema.optional(),
};

const SweepConfigObject = z.strictObject(SweepConfigShape);

export const SweepConfigSchema = SweepConfigObject.superRefine((config, ctx) =>
  checkSweepConfig(config, ctx),
).openapi('SweepConfig');

export type ChoiceValue = z.infer<typeof ChoiceValueSchema>;
export type ParameterCondition = z.infer<typeof ParameterConditionSchema>;
export type FloatParameter = z.infer<typeof FloatParameterSchema>;
export type IntParameter = z.infer<typeof IntParameterSchema>;
export type CategoricalParameter = z.infer<typeof CategoricalParameterSchema>;
export type SweepParameter = z.infer<typeof SweepParameterSchema>;
export type SearchSpace = z.infer<typeof SearchSpaceSchema>;
export type SweepMetric = z.infer<typeof SweepMetricSchema>;
export type Objective = z.infer<typeof ObjectiveSchema>;
export type MetricObjective = z.infer<typeof MetricObjectiveSchema>;
export type EvalObjective = z.infer<typeof EvalObjectiveSchema>;
export type SweepStrategy = z.infer<typeof SweepStrategySchema>;
export type TpeOptions = z.infer<typeof TpeOptionsSchema>;
export type SweepEarlyStopping = z.infer<typeof SweepEarlyStoppingSchema>;
export type MedianStopping = z.infer<typeof MedianStoppingSchema>;
export type AshaStopping = z.infer<typeof AshaStoppingSchema>;
export type SweepLimits = z.infer<typeof SweepLimitsSchema>;
export type SweepCompletion = z.infer<typeof SweepCompletionSchema>;
export type SweepConfig = z.infer<typeof SweepConfigObject>;

/** Grids larger than this are refused: nobody runs them, and enumerating them costs memory. */
export const MAX_GRID_SIZE = 100_000;

type Ctx = z.core.$RefinementCtx;
type Path = (string | number)[];

function issue(ctx: Ctx, path: Path, message: string): void {
  ctx.addIssue({ code: 'custom', path, message });
}

/** Rules within one search space. `at` prefixes the issue paths (the field holding the space). */
export function checkSearchSpace(space: Record<string, SweepParameter>, ctx: Ctx, at: Path): void {
  const names = Object.keys(space);
  if (names.length === 0) issue(ctx, at, 'search_space needs at least one parameter');
  if (names.length > 50) issue(ctx, at, 'search_space allows at most 50 parameters');
  for (const [name, p] of Object.entries(space)) {
    const here = [...at, name];
    if (p.type === 'categorical') {
      const keys = p.choices.map((c) => JSON.stringify(c));
      if (new Set(keys).size !== keys.length) issue(ctx, [...here, 'choices'], 'choices must be unique');
    } else {
      if (!(p.low < p.high)) issue(ctx, [...here, 'high'], `high must be greater than low (${p.low})`);
      if (p.scale === 'log' && !(p.low > 0)) issue(ctx, [...here, 'low'], 'log scale needs low > 0');
      if (p.type === 'int') {
        if (p.scale === 'log' && p.step !== 1) issue(ctx, [...here, 'step'], 'log scale needs step = 1');
        if ((p.high - p.low) % p.step !== 0)
          issue(ctx, [...here, 'high'], `high - low must be a multiple of step (${p.step})`);
      }
    }
    if (p.condition) checkCondition(space, name, p.condition, ctx, [...here, 'condition']);
  }
  const cycle = findConditionCycle(space);
  if (cycle) issue(ctx, [...at, cycle[0], 'condition'], `conditions form a cycle: ${cycle.join(' → ')}`);
}

function checkCondition(
  space: Record<string, SweepParameter>,
  name: string,
  c: ParameterCondition,
  ctx: Ctx,
  at: Path,
): void {
  const parent = space[c.parameter];
  if (c.parameter === name) return issue(ctx, [...at, 'parameter'], 'a parameter cannot depend on itself');
  if (!parent)
    return issue(
      ctx,
      [...at, 'parameter'],
      `condition refers to '${c.parameter}', which is not in search_space`,
    );
  if (parent.type !== 'categorical') {
    return issue(
      ctx,
      [...at, 'parameter'],
      `condition must refer to a categorical parameter; '${c.parameter}' is ${parent.type}`,
    );
  }
  if ((c.equals === undefined) === (c.in === undefined)) {
    return issue(ctx, at, 'condition needs exactly one of equals or in');
  }
  const allowed = new Set(parent.choices.map((v) => JSON.stringify(v)));
  const values = c.in ?? [c.equals as ChoiceValue];
  const field = c.in ? 'in' : 'equals';
  for (const v of values) {
    if (!allowed.has(JSON.stringify(v))) {
      issue(ctx, [...at, field], `${JSON.stringify(v)} is not one of the choices of '${c.parameter}'`);
    }
  }
}

function findConditionCycle(space: Record<string, SweepParameter>): string[] | null {
  for (const start of Object.keys(space)) {
    const seen = [start];
    let cur = space[start]?.condition?.parameter;
    while (cur !== undefined && space[cur]) {
      if (cur === start) return [...seen, cur];
      if (seen.includes(cur)) break; // a cycle not through `start`: reported from one of its members
      seen.push(cur);
      cur = space[cur].condition?.parameter;
    }
  }
  return null;
}

/** Number of points a grid over `p` enumerates (grid_points, or every int value). */
export function gridPointCount(p: SweepParameter): number | null {
  if (p.type === 'categorical') return p.choices.length;
  if (p.grid_points !== undefined) return p.grid_points;
  if (p.type === 'int') return Math.floor((p.high - p.low) / p.step) + 1;
  return null;
}

/** Rules across the fields of a sweep's configuration. */
export function checkSweepConfig(
  config: Pick<SweepConfig, 'search_space' | 'objective' | 'strategy' | 'early_stopping' | 'limits'>,
  ctx: Ctx,
): void {
  const { limits, strategy, early_stopping: es } = config;
  if (config.objective.type === 'eval' && es.type !== 'none') {
    issue(
      ctx,
      ['early_stopping', 'type'],
      'an eval objective is measured once a trial has finished, so there is nothing to stop early on; use type "none"',
    );
  }
  if (limits.max_parallel_trials > limits.max_trials) {
    issue(
      ctx,
      ['limits', 'max_parallel_trials'],
      `max_parallel_trials must be ≤ max_trials (${limits.max_trials})`,
    );
  }
  if (es.type === 'asha' && !(es.min_resource < es.max_resource)) {
    issue(
      ctx,
      ['early_stopping', 'max_resource'],
      `max_resource must be greater than min_resource (${es.min_resource})`,
    );
  }
  if (strategy.type === 'grid') {
    let size = 1;
    for (const [name, p] of Object.entries(config.search_space)) {
      const n = gridPointCount(p);
      if (n === null) {
        issue(
          ctx,
          ['search_space', name, 'grid_points'],
          'grid strategy needs grid_points on float parameters',
        );
      } else {
        size *= n;
      }
    }
    if (size > MAX_GRID_SIZE) {
      issue(ctx, ['search_space'], `grid has ${size} points; at most ${MAX_GRID_SIZE} (set grid_points)`);
    }
  }
}
