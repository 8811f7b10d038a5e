/**
 * One streamed chat completion through the generated SDK's server-sent-events client
 * (`client.sse.post`): the generated `createChatCompletion` reads a JSON answer, and the SDK
 * generates stream functions only for operations that answer with events alone (ours answers
 * either, by `stream`). Two things the SSE client does not do for us: it retries a failed request
 * (a POST retried generates again, so one attempt only), and it reports a refused request as
 * "SSE failed: 400" (so the fetch it uses reads the API's error envelope first).
 */
import type { ChatCompletionChunk, CreateChatCompletionRequest } from '../../../openapi/sdk/types.gen';
import { api, unwrap } from './api';

export interface StreamResult {
  finishReason: string | null;
  completionTokens?: number;
  /** The stream was stopped by the signal before it ended. */
  stopped: boolean;
}

export async function streamChat(
  body: CreateChatCompletionRequest,
  signal: AbortSignal,
  onDelta: (text: string) => void,
): Promise<StreamResult> {
  let failure: unknown;
  const { stream } = await api().sse.post({
    url: '/v1/chat/completions',
    body: { ...body, stream: true, stream_options: { include_usage: true } },
    headers: { 'Content-Type': 'application/json' },
    signal,
    sseMaxRetryAttempts: 1,
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const res = await fetch(input, init);
      if (!res.ok) {
        const envelope = await res
          .clone()
          .json()
          .catch(() => undefined);
        failure = await unwrap(Promise.resolve({ error: envelope ?? {}, response: res })).catch((e) => e);
      }
      return res;
    },
    onSseError: (err: unknown) => {
      failure ??= err;
    },
  });
  let finishReason: string | null = null;
  let completionTokens: number | undefined;
  for await (const event of stream as AsyncGenerator<ChatCompletionChunk | string>) {
    if (event === '[DONE]' || typeof event === 'string') continue;
    if (event.usage) completionTokens = event.usage.completion_tokens;
    for (const choice of event.choices) {
      if (choice.delta.content) onDelta(choice.delta.content);
      finishReason = choice.finish_reason ?? finishReason;
    }
  }
  if (signal.aborted) return { finishReason, completionTokens, stopped: true };
  if (failure) throw failure;
  return { finishReason, completionTokens, stopped: false };
}
