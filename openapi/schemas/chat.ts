/**
 * POST /v1/chat/completions, OpenAI's shapes: the request, the `chat.completion` object and the
 * `chat.completion.chunk` objects a streamed response sends as server-sent events. Messages are
 * rendered with the model's own chat template (tokenizer_config.json `chat_template`) or ours.
 */
import { z } from '@hono/zod-openapi';
import { MetadataSchema } from './job';
import {
  checkStreamOptions,
  FinishReasonSchema,
  samplingFields,
  unsupported,
  UsageSchema,
} from './generation';

const TextPartSchema = z.strictObject({ type: z.literal('text'), text: z.string() });

/** Text, or text parts; any other part (image_url, input_audio, file) is a 400 naming it. */
const ContentSchema = z.union([
  z.string(),
  z.array(
    z.union([
      TextPartSchema,
      z
        .looseObject({ type: z.string() })
        .refine((p) => p.type === 'text', { message: 'not supported by Tuneplane: only text content parts' }),
    ]),
  ),
]);

const name = z.string().max(256).optional();

export const ChatMessageSchema = z
  .discriminatedUnion('role', [
    z.strictObject({ role: z.literal('system'), content: ContentSchema, name }),
    z.strictObject({ role: z.literal('developer'), content: ContentSchema, name }),
    z.strictObject({ role: z.literal('user'), content: ContentSchema, name }),
    z.strictObject({
      role: z.literal('assistant'),
      content: ContentSchema.nullable().optional(),
      name,
      refusal: z.string().nullable().optional(),
      tool_calls: unsupported('tool calls (no tools)'),
      function_call: unsupported('function calls'),
      audio: unsupported('audio'),
    }),
    z.strictObject({
      role: z.literal('tool'),
      content: unsupported('tool messages (no tools)', () => false),
      tool_call_id: z.string().optional(),
    }),
    z.strictObject({
      role: z.literal('function'),
      content: unsupported('function messages', () => false),
      name,
    }),
  ])
  .openapi('ChatCompletionMessage');

export const ChatCompletionCreateSchema = z
  .strictObject({
    ...samplingFields,
    messages: z.array(ChatMessageSchema).min(1),
    max_tokens: z
      .int()
      .min(1)
      .nullable()
      .optional()
      .openapi({ description: 'Deprecated alias of max_completion_tokens.' }),
    max_completion_tokens: z.int().min(1).nullable().optional().openapi({
      description: 'New tokens per choice at most; default: what is left of the context after the prompt.',
    }),
    logprobs: z.boolean().nullable().optional(),
    top_logprobs: z.int().min(0).max(20).nullable().optional(),
    metadata: MetadataSchema.nullable().optional(),
    store: unsupported('storing completions', (v) => v === null || v === false),
    response_format: unsupported('response formats other than text', (v) => v === null || isType(v, 'text')),
    modalities: unsupported(
      'output modalities other than text',
      (v) => v === null || (Array.isArray(v) && v.length === 1 && v[0] === 'text'),
    ),
    service_tier: unsupported('service tiers', (v) => v === null || v === 'auto' || v === 'default'),
    tools: unsupported('tools'),
    tool_choice: unsupported('tools', (v) => v === null || v === 'none'),
    parallel_tool_calls: unsupported('tools'),
    functions: unsupported('functions'),
    function_call: unsupported('functions', (v) => v === null || v === 'none'),
    audio: unsupported('audio output'),
    prediction: unsupported('predicted outputs'),
    web_search_options: unsupported('web search'),
    reasoning_effort: unsupported('reasoning models'),
    verbosity: unsupported('verbosity'),
    safety_identifier: z.string().max(512).optional(),
    prompt_cache_key: z.string().max(512).optional(),
  })
  .superRefine((body, ctx) => {
    checkStreamOptions(body, ctx);
    if (body.top_logprobs != null && body.top_logprobs > 0 && body.logprobs !== true)
      ctx.addIssue({ code: 'custom', path: ['top_logprobs'], message: 'top_logprobs needs logprobs: true' });
    if (
      body.max_tokens != null &&
      body.max_completion_tokens != null &&
      body.max_tokens !== body.max_completion_tokens
    )
      ctx.addIssue({
        code: 'custom',
        path: ['max_tokens'],
        message:
          'give max_completion_tokens or max_tokens (its deprecated alias), not both with different values',
      });
  })
  .openapi('CreateChatCompletionRequest');

function isType(v: unknown, type: string): boolean {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === type;
}

const TopLogprobSchema = z.object({
  token: z.string(),
  logprob: z.number(),
  bytes: z.array(z.int()).nullable(),
});

export const ChatTokenLogprobSchema = TopLogprobSchema.extend({
  top_logprobs: z.array(TopLogprobSchema),
}).openapi('ChatCompletionTokenLogprob');

const ChoiceLogprobsSchema = z
  .object({
    content: z.array(ChatTokenLogprobSchema).nullable(),
    refusal: z.array(ChatTokenLogprobSchema).nullable(),
  })
  .nullable();

export const ChatCompletionSchema = z
  .object({
    id: z.string().openapi({ example: 'chatcmpl-abc123' }),
    object: z.literal('chat.completion'),
    created: z.int(),
    model: z.string(),
    system_fingerprint: z.string().nullable(),
    choices: z.array(
      z.object({
        index: z.int(),
        message: z.object({
          role: z.literal('assistant'),
          content: z.string().nullable(),
          refusal: z.string().nullable(),
        }),
        logprobs: ChoiceLogprobsSchema,
        finish_reason: FinishReasonSchema,
      }),
    ),
    usage: UsageSchema,
  })
  .openapi('ChatCompletion');

export const ChatCompletionChunkSchema = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion.chunk'),
    created: z.int(),
    model: z.string(),
    system_fingerprint: z.string().nullable(),
    choices: z.array(
      z.object({
        index: z.int(),
        delta: z.object({
          role: z.literal('assistant').optional(),
          content: z.string().nullable().optional(),
          refusal: z.string().nullable().optional(),
        }),
        logprobs: ChoiceLogprobsSchema.optional(),
        finish_reason: FinishReasonSchema.nullable(),
      }),
    ),
    usage: UsageSchema.nullable().optional(),
  })
  .openapi('ChatCompletionChunk');

export type ChatCompletionCreate = z.infer<typeof ChatCompletionCreateSchema>;
export type ChatMessage = z.infer<typeof ChatMessageSchema>;
export type ChatCompletion = z.infer<typeof ChatCompletionSchema>;
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunkSchema>;
export type ChatTokenLogprob = z.infer<typeof ChatTokenLogprobSchema>;
