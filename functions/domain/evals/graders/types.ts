/**
 * The one interface every grader implements. A grader is built once from its definition (checked
 * then: templates, formula, metric) and grades any number of samples.
 */
import type { ModelSampler, SampleUsage } from '../../../ports/sampler';
import type { TenantId } from '../../records';
import type { TemplateVariables } from '../template';

export interface GradeContext {
  vars: TemplateVariables;
  tenantId: TenantId;
  /** Model graders call it; without one they fail with a model_grader_server error. */
  sampler?: ModelSampler;
  signal?: AbortSignal;
}

/** Tokens a model grader spent, by model. */
export type UsageByModel = Record<string, SampleUsage & { invocation_count: number }>;

export interface GradeResult {
  score: number;
  passed: boolean;
  /** A multi grader's sub-scores by name; for others, their own score under their name. */
  subScores: Record<string, number>;
  usage: UsageByModel;
  /** The judge model's name (model graders). */
  sampledModel: string | null;
  /** What a model grader read and answered, kept on the output item's result. */
  detail: Record<string, unknown> | null;
}

export type GradeErrorKind =
  'invalid_variable' | 'formula_parse' | 'model_grader_server' | 'model_grader_parse' | 'other';

/** A sample that could not be graded (a template variable it lacks, a judge that failed). */
export class GradeError extends Error {
  constructor(
    readonly kind: GradeErrorKind,
    message: string,
    readonly usage: UsageByModel = {},
  ) {
    super(message);
    this.name = 'GradeError';
  }
}

export interface Grader {
  readonly type: string;
  readonly name: string;
  grade(ctx: GradeContext): Promise<GradeResult>;
}

export function addUsage(into: UsageByModel, model: string, u: SampleUsage): UsageByModel {
  const cur = into[model] ?? {
    invocation_count: 0,
    prompt_tokens: 0,
    completion_tokens: 0,
    total_tokens: 0,
    cached_tokens: 0,
  };
  into[model] = {
    invocation_count: cur.invocation_count + 1,
    prompt_tokens: cur.prompt_tokens + u.prompt_tokens,
    completion_tokens: cur.completion_tokens + u.completion_tokens,
    total_tokens: cur.total_tokens + u.total_tokens,
    cached_tokens: cur.cached_tokens + u.cached_tokens,
  };
  return into;
}

export function mergeUsage(a: UsageByModel, b: UsageByModel): UsageByModel {
  const out: UsageByModel = { ...a };
  for (const [model, u] of Object.entries(b)) {
    const cur = out[model];
    out[model] = cur
      ? {
          invocation_count: cur.invocation_count + u.invocation_count,
          prompt_tokens: cur.prompt_tokens + u.prompt_tokens,
          completion_tokens: cur.completion_tokens + u.completion_tokens,
          total_tokens: cur.total_tokens + u.total_tokens,
          cached_tokens: cur.cached_tokens + u.cached_tokens,
        }
      : { ...u };
  }
  return out;
}
