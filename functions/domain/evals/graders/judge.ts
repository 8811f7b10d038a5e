/**
 * The model graders' call: their input messages rendered with the item and sample, sent to the
 * judge model through the sampler port. Text parts of a message are joined by newlines.
 */
import type { EvalMessage, EvalMessageContent } from '../../../../openapi/schemas/eval-graders';
import type { SampleMessage, SampleResult } from '../../../ports/sampler';
import type { TemplateVariables } from '../template';
import { renderTemplate } from './render';
import { GradeError, addUsage, type GradeContext, type UsageByModel } from './types';

function contentText(content: EvalMessageContent): string {
  if (typeof content === 'string') return content;
  const parts = Array.isArray(content) ? content : [content];
  return parts.map((p) => (typeof p === 'string' ? p : 'text' in p ? String(p.text) : '')).join('\n');
}

export function renderMessages(messages: readonly EvalMessage[], vars: TemplateVariables): SampleMessage[] {
  return messages.map((m) => ({ role: m.role, content: renderTemplate(contentText(m.content), vars) }));
}

export async function askJudge(
  ctx: GradeContext,
  model: string,
  messages: SampleMessage[],
  params: {
    temperature?: number | null;
    top_p?: number | null;
    seed?: number | null;
    max_tokens?: number | null;
  },
): Promise<{ reply: SampleResult; usage: UsageByModel }> {
  if (!ctx.sampler || !(await ctx.sampler.serves(ctx.tenantId, model))) {
    throw new GradeError(
      'model_grader_server',
      `No model named "${model}" can be called from this deployment.`,
    );
  }
  let reply: SampleResult;
  try {
    reply = await ctx.sampler.complete({
      tenantId: ctx.tenantId,
      model,
      messages,
      temperature: params.temperature ?? 0,
      top_p: params.top_p ?? undefined,
      seed: params.seed ?? undefined,
      max_completion_tokens: params.max_tokens ?? undefined,
      signal: ctx.signal,
    });
  } catch (err) {
    if (err instanceof GradeError) throw err;
    throw new GradeError(
      'model_grader_server',
      `The judge model "${model}" failed: ${(err as Error).message}`,
    );
  }
  return { reply, usage: addUsage({}, model, reply.usage) };
}

/** The judge's `result` when it answered OpenAI's structured form ({"result": …}), else undefined. */
export function structuredResult(text: string): unknown {
  const m = /\{[\s\S]*\}/.exec(text);
  if (!m) return undefined;
  try {
    const parsed = JSON.parse(m[0]) as unknown;
    return parsed && typeof parsed === 'object' && 'result' in parsed
      ? (parsed as { result: unknown }).result
      : undefined;
  } catch {
    return undefined;
  }
}
