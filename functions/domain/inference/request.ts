/**
 * From a validated chat or completions request to the generation job a worker runs: the messages'
 * text, OpenAI's defaults (temperature 1, top_p 1, n 1; completions stop after 16 tokens unless
 * told otherwise, chat after what the context leaves), and which field the token limit came from
 * so an error names it.
 */
import type {
  GenerationInput,
  GenerationJob,
  GenerationParams,
  ModelLocation,
} from '../../../openapi/inference';
import type { ChatCompletionCreate } from '../../../openapi/schemas/chat';
import type { CompletionCreate } from '../../../openapi/schemas/completions';
import type { TenantId } from '../records';

type Shared = Pick<
  ChatCompletionCreate,
  'temperature' | 'top_p' | 'n' | 'seed' | 'stop' | 'presence_penalty' | 'frequency_penalty' | 'logit_bias'
>;

/** Completions' documented default. */
export const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

function params(
  body: Shared,
  maxTokens: number | undefined,
  maxTokensParam: string,
  logprobs: number | undefined,
): GenerationParams {
  return {
    n: body.n ?? 1,
    maxTokens,
    maxTokensParam,
    temperature: body.temperature ?? 1,
    topP: body.top_p ?? 1,
    presencePenalty: body.presence_penalty ?? 0,
    frequencyPenalty: body.frequency_penalty ?? 0,
    logitBias: body.logit_bias ?? {},
    seed: body.seed ?? undefined,
    stop: body.stop == null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop,
    logprobs,
  };
}

function text(content: ChatCompletionCreate['messages'][number]['content']): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return (content as { type: string; text?: string }[]).map((p) => p.text ?? '').join('');
}

export function chatJob(tenantId: TenantId, model: ModelLocation, body: ChatCompletionCreate): GenerationJob {
  const input: GenerationInput = {
    kind: 'chat',
    // OpenAI's developer messages are its newer name for system messages; templates know "system".
    messages: body.messages.map((m) => ({
      role: m.role === 'developer' ? 'system' : m.role,
      content: text(m.content),
    })),
  };
  const fromMax = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const param =
    body.max_completion_tokens != null || body.max_tokens == null ? 'max_completion_tokens' : 'max_tokens';
  const logprobs = body.logprobs ? (body.top_logprobs ?? 0) : undefined;
  return { tenantId, model, input, params: params(body, fromMax, param, logprobs) };
}

export function completionJob(
  tenantId: TenantId,
  model: ModelLocation,
  body: CompletionCreate,
): GenerationJob {
  const p = body.prompt;
  // A list holding one prompt (text or ids) is that prompt.
  const prompt: string | number[] =
    typeof p === 'string'
      ? p
      : typeof p[0] === 'string'
        ? (p[0] as string)
        : Array.isArray(p[0])
          ? (p[0] as number[])
          : (p as number[]);
  const logprobs = body.logprobs ?? undefined;
  return {
    tenantId,
    model,
    input: { kind: 'text', prompt },
    params: params(body, body.max_tokens ?? COMPLETIONS_DEFAULT_MAX_TOKENS, 'max_tokens', logprobs),
  };
}
