import { createRoute } from '@hono/zod-openapi';
import { ChatCompletionChunkSchema, ChatCompletionCreateSchema, ChatCompletionSchema } from '../schemas/chat';
import { CompletionCreateSchema, CompletionSchema } from '../schemas/completions';
import { errorResponses, jsonBody, security } from './common';

const tags = ['Inference'];

const streamed = (schema: typeof ChatCompletionChunkSchema | typeof CompletionSchema, what: string) => ({
  'text/event-stream': {
    schema: schema.openapi({
      description: `With stream: true, server-sent events \`data: <${what}>\` ending in \`data: [DONE]\`.`,
    }),
  },
});

export const createChatCompletionRoute = createRoute({
  operationId: 'createChatCompletion',
  method: 'post',
  path: '/v1/chat/completions',
  tags,
  security,
  summary: 'Chat with a base model, a fine-tuned model (ft:…) or a checkpoint (ft:…:ckpt-step-N).',
  request: { body: jsonBody(ChatCompletionCreateSchema) },
  responses: {
    200: {
      description: 'The completion, or its chunks as server-sent events when stream is true.',
      content: {
        'application/json': { schema: ChatCompletionSchema },
        ...streamed(ChatCompletionChunkSchema, 'chat.completion.chunk'),
      },
    },
    ...errorResponses,
  },
});

export const createCompletionRoute = createRoute({
  operationId: 'createCompletion',
  method: 'post',
  path: '/v1/completions',
  tags,
  security,
  summary: 'Continue a prompt (legacy completions) with any model a chat completion can use.',
  request: { body: jsonBody(CompletionCreateSchema) },
  responses: {
    200: {
      description: 'The completion, or its chunks as server-sent events when stream is true.',
      content: {
        'application/json': { schema: CompletionSchema },
        ...streamed(CompletionSchema, 'text_completion'),
      },
    },
    ...errorResponses,
  },
});

export const inferenceRoutes = [createChatCompletionRoute, createCompletionRoute] as const;
