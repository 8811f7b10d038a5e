/**
 * The dry run: a job's plan (resolved hyperparameters and why), the data counted, and the run sized.
 *
 * Duration model: training costs ≈ 6 FLOPs per parameter per trained token plus attention's own
 * (forward + backward, Kaplan et al. 2020; DPO adds its reference pass), at a sustained rate per
 * provider, plus a start-up cost. The rates are deliberately round figures; the explanation states
 * them so the estimate can be judged.
 */
import type { EstimateObject } from '../../../openapi/schemas/estimate';
import type { JobPlan } from '../jobs';
import { formatCount } from '../models';
import type { Provider } from '../records';

interface Throughput {
  flopsPerSecond: number;
  startupSeconds: number;
  what: string;
}

export const THROUGHPUT: Record<Exclude<Provider, 'openai'>, Throughput> = {
  local: {
    flopsPerSecond: 3e9,
    startupSeconds: 5,
    what: 'the local CPU runner (TensorFlow.js, ~3 GFLOP/s sustained)',
  },
  batch: {
    flopsPerSecond: 2.5e12,
    startupSeconds: 180,
    what: 'an AWS Batch GPU (T4 class, ~30% of 8 TFLOP/s fp32) plus ~3 min to start the container',
  },
};
/** OpenAI publishes no throughput; this is a typical observed order of magnitude. */
const OPENAI_TOKENS_PER_SECOND = 5_000;
const OPENAI_QUEUE_SECONDS = 600;

/**
 * Training FLOPs per trained token: 6 per parameter, plus attention's own work (Kaplan et al.:
 * 2·n_layer·n_ctx·d per token forward, ×3 with backward) with the positions the model's attention
 * type actually reads. A DPO job also runs the starting model once, forward only (a third of that),
 * over every pair of the training and validation files for the reference log-probabilities; the
 * trained tokens already count both answers of each pair with its prompt twice (the files' token
 * counts do).
 */
function trainingFlops(plan: JobPlan, trainedTokens: number): { flops: number; what: string } {
  // A mixture of experts: a token runs through its top-k experts only (memory holds them all).
  const active = plan.model.activeParameterCount;
  const params = active ?? plan.model.parameterCount;
  const seq = plan.resolution.hyperparameters.max_sequence_length;
  const attention = plan.model.attention?.(seq) ?? { span: seq, what: 'full attention' };
  const attentionPerToken = 6 * plan.model.layers * attention.span * plan.model.hiddenSize;
  const perToken = 6 * params + attentionPerToken;
  const train = perToken * trainedTokens;
  const counted =
    active === undefined
      ? 'parameters'
      : `active parameters per token (top-k of the experts; ${formatCount(plan.model.parameterCount)} in all)`;
  const what = `(6 × ${formatCount(params)} ${counted} + 6 × ${plan.model.layers} layers × ${attention.span} positions (${attention.what}) × ${plan.model.hiddenSize}) × ${trainedTokens} trained tokens`;
  if (plan.method !== 'dpo') return { flops: train, what };
  const referenceTokens = (plan.trainingFile.tokenCount ?? 0) + (plan.validationFile?.tokenCount ?? 0);
  return {
    flops: train + (perToken / 3) * referenceTokens,
    what: `${what} + a third of that per token × ${referenceTokens} tokens of DPO's reference pass (forward only, before training; both answers of every pair)`,
  };
}

export function estimateDuration(plan: JobPlan, trainedTokens: number): { seconds: number; why: string } {
  if (plan.provider === 'openai') {
    const seconds = Math.ceil(OPENAI_QUEUE_SECONDS + trainedTokens / OPENAI_TOKENS_PER_SECOND);
    return {
      seconds,
      why: `${trainedTokens} trained tokens at ~${OPENAI_TOKENS_PER_SECOND} tokens/s plus ~${OPENAI_QUEUE_SECONDS / 60} min of OpenAI queueing (a rough figure; OpenAI publishes none)`,
    };
  }
  const t = THROUGHPUT[plan.provider];
  const { flops, what } = trainingFlops(plan, trainedTokens);
  const seconds = Math.ceil(t.startupSeconds + flops / t.flopsPerSecond);
  return {
    seconds,
    why: `${what} = ${flops.toExponential(2)} FLOPs on ${t.what}, plus ${t.startupSeconds} s start-up`,
  };
}

export function estimateFromPlan(plan: JobPlan): EstimateObject {
  const r = plan.resolution;
  const trainingTokens = plan.trainingFile.tokenCount ?? 0;
  // Tokens of the examples the run sees: n_epochs passes, or fewer when max_steps ends it sooner.
  const examples = plan.trainingFile.exampleCount ?? 0;
  const trainedTokens =
    examples > 0
      ? Math.round((trainingTokens * r.examplesSeen) / examples)
      : trainingTokens * r.hyperparameters.n_epochs;
  const duration = estimateDuration(plan, trainedTokens);
  return {
    object: 'fine_tuning.job.estimate',
    model: plan.model.id,
    provider: plan.provider,
    training_file: plan.trainingFile.id,
    validation_file: plan.validationFile?.id ?? null,
    format: plan.trainingFile.format ?? 'chat',
    hyperparameters: r.hyperparameters,
    hyperparameter_explanations: r.explanations,
    training_examples: plan.trainingFile.exampleCount ?? 0,
    training_tokens: trainingTokens,
    validation_examples: plan.validationFile ? (plan.validationFile.exampleCount ?? 0) : null,
    steps_per_epoch: r.stepsPerEpoch,
    total_steps: r.totalSteps,
    trained_tokens: trainedTokens,
    estimated_duration_seconds: duration.seconds,
    duration_explanation: duration.why,
  };
}
