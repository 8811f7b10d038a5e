/**
 * OpenAI's models as a ModelSampler (eval sampling and judges), when an OpenAI key is configured:
 * one chat completion per call through the official client. It serves OpenAI's model names only
 * (gpt-…, o1/o3/o4…, chatgpt-…, and fine-tunes of those); everything else is ours.
 */
import type OpenAI from 'openai';
import { UpstreamError } from '../../errors';
import type { TenantId } from '../../domain/records';
import type { ModelSampler, SampleRequest, SampleResult } from '../../ports/sampler';

const OPENAI_MODEL = /^(ft:)?(gpt-|o\d|chatgpt-|davinci|babbage)/;

export function openAiSampler(client: OpenAI): ModelSampler {
  return {
    serves: async (_tenantId, model) => OPENAI_MODEL.test(model),
    async complete(req: SampleRequest): Promise<SampleResult> {
      try {
        const res = await client.chat.completions.create(
          {
            model: req.model,
            messages: req.messages,
            temperature: req.temperature,
            top_p: req.top_p,
            seed: req.seed,
            max_completion_tokens: req.max_completion_tokens,
          },
          { signal: req.signal },
        );
        const choice = res.choices[0];
        return {
          text: choice?.message?.content ?? '',
          finish_reason: choice?.finish_reason ?? 'stop',
          model: res.model,
          usage: {
            prompt_tokens: res.usage?.prompt_tokens ?? 0,
            completion_tokens: res.usage?.completion_tokens ?? 0,
            total_tokens: res.usage?.total_tokens ?? 0,
            cached_tokens: res.usage?.prompt_tokens_details?.cached_tokens ?? 0,
          },
        };
      } catch (err) {
        throw new UpstreamError(`OpenAI chat completion for ${req.model} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
    },
  };
}

/**
 * The first sampler that serves the model answers (so list our own models first: a tenant's model
 * is never sent to OpenAI because its name looks like one of theirs); none serving it is the
 * caller's to report.
 */
export function firstServing(...samplers: (ModelSampler | undefined)[]): ModelSampler | undefined {
  const list = samplers.filter((s): s is ModelSampler => !!s);
  if (!list.length) return undefined;
  const pick = async (tenantId: TenantId, model: string) => {
    for (const s of list) if (await s.serves(tenantId, model)) return s;
    return undefined;
  };
  return {
    serves: async (tenantId, model) => !!(await pick(tenantId, model)),
    complete: async (req) => {
      const s = await pick(req.tenantId, req.model);
      if (!s) throw new Error(`no model named "${req.model}" can be sampled here`);
      return s.complete(req);
    },
  };
}
