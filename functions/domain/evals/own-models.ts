/**
 * Our own models as a ModelSampler, for eval sampling and judges: a base model, the tenant's
 * `ft:…` models and their checkpoints (`ft:…:ckpt-step-N`), resolved for the tenant exactly as the
 * chat completions route resolves them (../inference/resolve.ts), and generated through the
 * Inference port — the embedded stack's inference worker, or the Batch eval runner's in-process
 * server. Another tenant's model, a deleted one or an unknown checkpoint is simply not served, so
 * a run naming it is refused at creation with the field that named it.
 *
 * Without an Inference (the API on AWS, where nothing serves generation in the Lambda) it still
 * answers `serves`, which is all run creation needs: the run samples in the Batch eval runner.
 */
import type { GenerationJob, ModelLocation } from '../../../openapi/inference';
import { NotFoundError } from '../../errors';
import type { Clock } from '../../ports/clock';
import { InferenceFailure, type Inference } from '../../ports/inference';
import type { ModelSampler, SampleRequest, SampleResult } from '../../ports/sampler';
import type { Stores } from '../../ports/store';
import { resolveModel } from '../inference/resolve';
import type { TenantId } from '../records';

export interface OwnModelSamplerDeps {
  stores: Pick<Stores, 'models' | 'jobs' | 'checkpoints'>;
  clock: Clock;
  /** Absent where this process cannot generate (run creation on AWS): `complete` then refuses. */
  inference?: Inference;
  /** How long a resolved model is reused before it is looked up again (every row would otherwise). */
  cacheMs?: number;
}

export function ownModelSampler(deps: OwnModelSamplerDeps): ModelSampler {
  const cacheMs = deps.cacheMs ?? 30_000;
  const cache = new Map<string, { at: ModelLocation; untilMs: number }>();

  const locate = async (tenantId: TenantId, model: string): Promise<ModelLocation | undefined> => {
    const key = `${tenantId}\u0000${model}`;
    const now = deps.clock.nowMs();
    const hit = cache.get(key);
    if (hit && hit.untilMs > now) return hit.at;
    try {
      const at = await resolveModel(deps.stores, tenantId, model);
      if (cache.size > 1000) cache.clear();
      cache.set(key, { at, untilMs: now + cacheMs });
      return at;
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  };

  return {
    serves: async (tenantId, model) => !!(await locate(tenantId, model)),
    async complete(req: SampleRequest): Promise<SampleResult> {
      if (!deps.inference)
        throw new Error(
          `"${req.model}" is one of our models; this process cannot generate (it is sampled inside eval runs)`,
        );
      const at = await locate(req.tenantId, req.model);
      if (!at) throw new Error(`no model named "${req.model}"`);
      const job: GenerationJob = {
        tenantId: req.tenantId,
        model: at,
        input: {
          kind: 'chat',
          // Templates know "system"; OpenAI's developer messages are its newer name for them.
          messages: req.messages.map((m) => ({
            role: m.role === 'developer' ? 'system' : m.role,
            content: m.content,
          })),
        },
        params: {
          n: 1,
          maxTokens: req.max_completion_tokens,
          maxTokensParam: 'sampling_params.max_completion_tokens',
          temperature: req.temperature ?? 1,
          topP: req.top_p ?? 1,
          presencePenalty: 0,
          frequencyPenalty: 0,
          logitBias: {},
          seed: req.seed,
          stop: [],
        },
      };
      let text = '';
      let finish = 'stop';
      let usage: { promptTokens: number; completionTokens: number } | undefined;
      try {
        await deps.inference.generate(
          job,
          (e) => {
            if (e.type === 'delta' && e.index === 0) text += e.text;
            else if (e.type === 'finish' && e.index === 0) finish = e.reason;
            else if (e.type === 'done') usage = e.usage;
          },
          req.signal,
        );
      } catch (err) {
        if (err instanceof InferenceFailure)
          throw new Error(`${req.model}: ${err.failure.message} (${err.failure.code})`, { cause: err });
        throw err;
      }
      // Aborted: the generation stopped without its end; the caller drops this row.
      if (!usage) throw new Error(`sampling ${req.model} was stopped`);
      return {
        text,
        finish_reason: finish,
        model: req.model,
        usage: {
          prompt_tokens: usage.promptTokens,
          completion_tokens: usage.completionTokens,
          total_tokens: usage.promptTokens + usage.completionTokens,
          cached_tokens: 0,
        },
      };
    },
  };
}
