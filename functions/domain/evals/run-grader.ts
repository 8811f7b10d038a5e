/**
 * `/v1/fine_tuning/alpha/graders/run` and `/validate`: one grader on one sample, answered in OpenAI's
 * shape (`reward`, `metadata.errors` flags, `sub_rewards`, token usage per judge model). A sample
 * that cannot be graded (a variable it lacks, a judge that failed) is a reward of 0 with the flag
 * set, as OpenAI answers it — not an HTTP error; a bad definition is a 400.
 */
import type {
  GraderDefinition,
  RunGraderRequest,
  RunGraderResponse,
} from '../../../openapi/schemas/eval-graders';
import type { Clock } from '../../ports/clock';
import type { ModelSampler } from '../../ports/sampler';
import type { TenantId } from '../records';
import { GradeError, buildGrader, type GradeErrorKind, type UsageByModel } from './graders';
import { sampleNamespace } from './template';

export interface GraderServiceDeps {
  clock: Clock;
  sampler?: ModelSampler;
}

const NO_ERRORS = {
  formula_parse_error: false,
  sample_parse_error: false,
  truncated_observation_error: false,
  unresponsive_reward_error: false,
  invalid_variable_error: false,
  other_error: false,
  python_grader_server_error: false,
  python_grader_server_error_type: null,
  python_grader_runtime_error: false,
  python_grader_runtime_error_details: null,
  model_grader_server_error: false,
  model_grader_refusal_error: false,
  model_grader_parse_error: false,
  model_grader_server_error_details: null,
};

const FLAG: Record<GradeErrorKind, keyof typeof NO_ERRORS> = {
  invalid_variable: 'invalid_variable_error',
  formula_parse: 'formula_parse_error',
  model_grader_server: 'model_grader_server_error',
  model_grader_parse: 'model_grader_parse_error',
  other: 'other_error',
};

/** Checks a definition (400 naming the field when it is wrong) and returns it as given. */
export function validateGrader(def: GraderDefinition): { grader: GraderDefinition } {
  buildGrader(def, 'grader');
  return { grader: def };
}

export async function runGrader(
  deps: GraderServiceDeps,
  tenantId: TenantId,
  req: RunGraderRequest,
): Promise<RunGraderResponse> {
  const grader = buildGrader(req.grader, 'grader');
  const started = deps.clock.nowMs();
  const errors: Record<string, unknown> = { ...NO_ERRORS };
  let reward = 0;
  let subRewards: Record<string, number> = {};
  let usage: UsageByModel = {};
  let sampledModel: string | null = null;
  try {
    const r = await grader.grade({
      tenantId,
      sampler: deps.sampler,
      vars: { item: req.item ?? {}, sample: sampleNamespace(req.model_sample) },
    });
    reward = r.score;
    subRewards = req.grader.type === 'multi' ? r.subScores : {};
    usage = r.usage;
    sampledModel = r.sampledModel;
    if (r.detail?.parse_error) errors.model_grader_parse_error = true;
  } catch (err) {
    if (!(err instanceof GradeError)) throw err;
    errors[FLAG[err.kind]] = true;
    if (err.kind === 'model_grader_server') errors.model_grader_server_error_details = err.message;
    usage = err.usage;
  }
  const tokens = Object.values(usage).reduce((s, u) => s + u.total_tokens, 0);
  return {
    reward,
    metadata: {
      name: req.grader.name ?? req.grader.type,
      type: req.grader.type,
      errors: errors as RunGraderResponse['metadata']['errors'],
      execution_time: (deps.clock.nowMs() - started) / 1000,
      scores: req.grader.type === 'multi' ? subRewards : { [req.grader.name ?? req.grader.type]: reward },
      token_usage: sampledModel ? tokens : null,
      sampled_model_name: sampledModel,
    },
    sub_rewards: subRewards,
    model_grader_token_usage_per_model: usage,
  };
}
