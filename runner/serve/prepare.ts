/**
 * From a generation job to an engine request on a loaded model: the prompt's tokens (the model's
 * chat template for chat, the raw text or ids for completions), the token budget checked against
 * the context, and the sampling parameters.
 */
import type { GenerationJob } from '../../openapi/inference';
import type { GenerationRequest } from '../generate';
import { ServeFailure, type ServedModel } from './models';

export function prepare(model: ServedModel, job: GenerationJob): GenerationRequest {
  const { input, params } = job;
  const prompt =
    input.kind === 'chat'
      ? model.chat.renderPrompt(input.messages)
      : typeof input.prompt === 'string'
        ? model.tokenizer.encode(input.prompt)
        : input.prompt;
  const promptParam = input.kind === 'chat' ? 'messages' : 'prompt';
  if (prompt.length === 0)
    throw new ServeFailure({
      status: 400,
      code: 'empty_prompt',
      message: 'The prompt has no tokens.',
      param: promptParam,
    });
  const vocab = model.decoder.dims.vocab;
  if (input.kind === 'text' && typeof input.prompt !== 'string') {
    const bad = input.prompt.find((id) => id >= vocab);
    if (bad !== undefined)
      throw new ServeFailure({
        status: 400,
        code: 'invalid_value',
        message: `prompt: token id ${bad} is outside this model's vocabulary (0–${vocab - 1}).`,
        param: 'prompt',
      });
  }
  const context = model.contextLength;
  const maxTokens = params.maxTokens ?? context - prompt.length;
  if (prompt.length + maxTokens > context || maxTokens < 1) {
    const asked = params.maxTokens === undefined ? '' : `, ${params.maxTokens} in the completion`;
    throw new ServeFailure({
      status: 400,
      code: 'context_length_exceeded',
      message:
        `This model's maximum context length is ${context} tokens. However, you requested ` +
        `${prompt.length + Math.max(maxTokens, 1)} tokens (${prompt.length} in the ${promptParam}${asked}). ` +
        `Please reduce the length of the ${promptParam} or ${params.maxTokensParam}.`,
      param: params.maxTokens === undefined || prompt.length >= context ? promptParam : params.maxTokensParam,
    });
  }
  const logitBias = new Map<number, number>();
  for (const [id, bias] of Object.entries(params.logitBias)) {
    const token = Number(id);
    if (token >= vocab)
      throw new ServeFailure({
        status: 400,
        code: 'invalid_value',
        message: `logit_bias: token id ${token} is outside this model's vocabulary (0–${vocab - 1}).`,
        param: `logit_bias.${id}`,
      });
    logitBias.set(token, bias);
  }
  return {
    prompt,
    n: params.n,
    maxTokens,
    sampling: {
      temperature: params.temperature,
      topP: params.topP,
      presencePenalty: params.presencePenalty,
      frequencyPenalty: params.frequencyPenalty,
      logitBias,
    },
    seed: params.seed,
    stop: params.stop,
    stopTokenIds: model.stopTokenIds,
    logprobs: params.logprobs,
  };
}
