/**
 * Rules of a sweep request that need more than its schema: every search-space parameter is a
 * hyperparameter the trials can take, in range, of the right type, and one the provider honours;
 * the objective can be measured on the base job's data; the base job itself plans (files, model,
 * hyperparameter rules) with the space's corner values laid over it; warm-start sweeps exist.
 * Each broken rule is a 400 naming the field and the rule.
 */
import type { z } from 'zod';
import { DpoHyperparametersSchema } from '../../../../openapi/schemas/dpo';
import { ARCHITECTURE_KEYS, ModelConfigOverridesSchema } from '../../../../openapi/schemas/model-config';
import type { SweepParameter } from '../../../../openapi/schemas/sweep';
import type { SweepCreate } from '../../../../openapi/schemas/sweep-resource';
import { ApiError, ValidationError } from '../../../errors';
import { OPENAI_DPO_SUPPORTED, OPENAI_SUPPORTED } from '../../hyperparameters';
import { planJob, type PlanDeps } from '../../jobs';
import type { TenantId } from '../../records';
import { decisionOrder, isActive, type Params } from '../space';
import type { ControllerDeps } from './deps';
import { checkEvalObjective } from './eval-objective';
import { trialRequest } from './trial-jobs';

/** Hyperparameters that hold one value (objects such as early_stopping are set on base_job, not searched). */
export const SEARCHABLE_HYPERPARAMETERS = [
  'n_epochs',
  'batch_size',
  'learning_rate_multiplier',
  'learning_rate',
  'optimizer',
  'momentum',
  'beta1',
  'beta2',
  'epsilon',
  'weight_decay',
  'warmup_steps',
  'warmup_ratio',
  'warmup_type',
  'lr_scheduler',
  'gradient_accumulation_steps',
  'gradient_checkpointing',
  'max_grad_norm',
  'dropout',
  'max_sequence_length',
  'eval_interval_steps',
  'checkpoint_interval_steps',
  'keep_checkpoints',
  'metrics_interval_steps',
  'beta',
  'label_smoothing',
] as const;

/** Searchable with a base job of method `dpo` only. */
const DPO_ONLY = ['beta', 'label_smoothing'];

const shape = DpoHyperparametersSchema.shape as Record<string, z.ZodType>;

function firstIssue(schema: z.ZodType, value: unknown): string | null {
  const r = schema.safeParse(value);
  return r.success ? null : (r.error.issues[0]?.message ?? 'invalid value');
}

const architectureShape = ModelConfigOverridesSchema.shape as Record<string, z.ZodType>;
const isArchitectureKey = (name: string) => (ARCHITECTURE_KEYS as readonly string[]).includes(name);

function checkParameter(name: string, p: SweepParameter, provider: string, method: string): void {
  const at = `search_space.${name}`;
  if (isArchitectureKey(name) && provider === 'openai') {
    throw new ValidationError(
      `${at}: provider "openai" trains its own models; architecture keys apply to config-only models on our trainer`,
      at,
      'unsupported_by_provider',
    );
  }
  if (!isArchitectureKey(name) && !(SEARCHABLE_HYPERPARAMETERS as readonly string[]).includes(name)) {
    const why =
      name in shape ? 'it takes an object or list; set it on base_job' : 'it is not a hyperparameter';
    throw new ValidationError(
      `${at}: '${name}' cannot be searched (${why}). Searchable: ${SEARCHABLE_HYPERPARAMETERS.join(', ')}; with a config-only base model also ${ARCHITECTURE_KEYS.join(', ')}.`,
      at,
      'invalid_search_parameter',
    );
  }
  if (DPO_ONLY.includes(name) && method !== 'dpo') {
    throw new ValidationError(
      `${at}: '${name}' applies to DPO only; base_job.method.type is "${method}"`,
      at,
      'invalid_search_parameter',
    );
  }
  const openAi: readonly string[] = method === 'dpo' ? OPENAI_DPO_SUPPORTED : OPENAI_SUPPORTED;
  if (provider === 'openai' && !openAi.includes(name)) {
    throw new ValidationError(
      `${at}: provider "openai" cannot honour '${name}'; OpenAI's ${method === 'dpo' ? 'DPO' : 'supervised'} fine-tuning takes only ${openAi.join(', ')}.`,
      at,
      'unsupported_by_provider',
    );
  }
  const schema = isArchitectureKey(name) ? architectureShape[name] : shape[name];
  const probes: [string, unknown][] =
    p.type === 'categorical'
      ? p.choices.map((c, i) => [`choices[${i}]`, c])
      : [
          ['low', p.low],
          ['high', p.high],
        ];
  for (const [field, value] of probes) {
    const issue = firstIssue(schema, value);
    if (issue)
      throw new ValidationError(
        `${at}.${field}: ${JSON.stringify(value)} is not a valid ${name} (${issue})`,
        `${at}.${field}`,
      );
  }
  if (p.type === 'float') {
    const inside = p.low + (p.high - p.low) * 0.37;
    if (firstIssue(schema, inside) && !firstIssue(schema, Math.round(inside))) {
      throw new ValidationError(`${at}.type: ${name} takes whole numbers; use type "int"`, `${at}.type`);
    }
  }
}

/** The space's "low corner": each active parameter at its low end (first choice). */
export function cornerParams(space: SweepCreate['search_space'], end: 'low' | 'high'): Params {
  const out: Params = {};
  for (const name of decisionOrder(space)) {
    if (!isActive(space, name, out)) continue;
    const p = space[name];
    out[name] = p.type === 'categorical' ? p.choices[end === 'low' ? 0 : p.choices.length - 1] : p[end];
  }
  return out;
}

const NEEDS_VALIDATION = /^(valid_|full_valid_)|^accuracy$/;

export async function validateSweepRequest(
  deps: PlanDeps & Pick<ControllerDeps, 'sweeps' | 'evalService'>,
  tenantId: TenantId,
  req: SweepCreate,
): Promise<void> {
  const provider = req.base_job.provider ?? deps.defaultProvider;
  const method = req.base_job.method?.type ?? 'supervised';
  for (const [name, p] of Object.entries(req.search_space)) checkParameter(name, p, provider, method);
  const architecture = Object.keys(req.search_space).filter(isArchitectureKey);
  if (architecture.length > 0 && !(await deps.models.describe(tenantId, req.base_job.model))?.untrained) {
    const at = `search_space.${architecture[0]}`;
    throw new ValidationError(
      `${at}: architecture keys can be searched only when base_job.model is a config-only model (POST /v1/models); the weights of '${req.base_job.model}' fix its architecture`,
      at,
      'invalid_search_parameter',
    );
  }

  await checkEvalObjective(deps, tenantId, req);
  const metric = req.objective.type === 'eval' ? null : req.objective.metric;
  if (metric && NEEDS_VALIDATION.test(metric) && !req.base_job.validation_file) {
    throw new ValidationError(
      `objective.metric: "${metric}" is measured on validation data; set base_job.validation_file`,
      'objective.metric',
    );
  }
  if (provider === 'openai' && req.early_stopping.type !== 'none') {
    throw new ValidationError(
      'early_stopping: provider "openai" reports no evaluations the service can act on; use type "none"',
      'early_stopping.type',
      'unsupported_by_provider',
    );
  }

  // The base job with the space's corners laid over it must plan: files, model and every hyperparameter rule.
  for (const end of ['low', 'high'] as const) {
    const params = cornerParams(req.search_space, end);
    let request;
    try {
      request = trialRequest(
        { id: 'ftsweep-validation', baseJob: req.base_job, seed: 0 },
        { number: 0, params },
      );
    } catch (err) {
      throw new ValidationError(
        `search_space: the ${end} corner ${JSON.stringify(params)} is not a valid set of hyperparameters: ${(err as Error).message}`,
        'search_space',
      );
    }
    try {
      const plan = await planJob(deps, tenantId, request, 0);
      if (metric === 'accuracy' && plan.trainingFile.format !== 'classification') {
        throw new ValidationError(
          `objective.metric: "accuracy" needs classification data; base_job.training_file holds ${plan.trainingFile.format} data`,
          'objective.metric',
        );
      }
      if (metric?.startsWith('valid_rewards_') && plan.method !== 'dpo') {
        throw new ValidationError(
          `objective.metric: "${metric}" is a DPO figure; base_job.method.type is "${plan.method}"`,
          'objective.metric',
        );
      }
    } catch (err) {
      if (!(err instanceof ApiError) || err.status >= 500) throw err;
      // Name the field as it sits in the sweep request.
      if (err.param?.startsWith('objective.')) throw err;
      const param = err.param ? `base_job.${err.param}` : null;
      const searched = Object.keys(params).find((k) => err.param?.endsWith(`.${k}`));
      const where = searched
        ? ` (with search_space.${searched} at its ${end} end, ${JSON.stringify(params[searched])})`
        : '';
      throw new ValidationError(
        `${err.message}${where}`,
        searched ? `search_space.${searched}` : param,
        err.code,
      );
    }
  }

  for (const [i, id] of (req.warm_start?.sweep_ids ?? []).entries()) {
    if (!(await deps.sweeps.get(tenantId, id))) {
      throw new ValidationError(
        `warm_start.sweep_ids[${i}]: no sweep found with id '${id}'`,
        `warm_start.sweep_ids[${i}]`,
        'sweep_not_found',
      );
    }
  }
}
