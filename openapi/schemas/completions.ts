/**
 * POST /v1/completions (OpenAI's legacy text completions): one prompt, as text or token ids, fed as
 * it is (no template: it is how prompt/completion training data is rendered), and the
 * `text_completion` object, streamed as server-sent events of the same object.
 */
import { z } from '@hono/zod-openapi';
import {
  checkStreamOptions,
  FinishReasonSchema,
  samplingFields,
  unsupported,
  UsageSchema,
} from './generation';

const tokenIds = z.array(z.int().min(0)).min(1);

export const CompletionCreateSchema = z
  .strictObject({
    ...samplingFields,
    prompt: z
      .union([
        z.string(),
        z.array(z.string()).length(1, 'one prompt per request (send several requests for several prompts)'),
        tokenIds,
        z.array(tokenIds).length(1, 'one prompt per request (send several requests for several prompts)'),
      ])
      .openapi({ description: 'Text or token ids; a list holding exactly one of them is accepted too.' }),
    max_tokens: z
      .int()
      .min(1)
      .nullable()
      .optional()
      .openapi({ description: 'New tokens per choice at most (default 16).' }),
    logprobs: z
      .int()
      .min(0)
      .max(5)
      .nullable()
      .optional()
      .openapi({ description: 'Alternatives per token (0–5).' }),
    echo: unsupported('echoing the prompt', (v) => v === null || v === false),
    best_of: unsupported('best_of other than 1', (v) => v === null || v === 1),
    suffix: unsupported('suffixes (insertion)'),
  })
  .superRefine(checkStreamOptions)
  .openapi('CreateCompletionRequest');

export const CompletionLogprobsSchema = z
  .object({
    tokens: z.array(z.string()),
    token_logprobs: z.array(z.number()),
    top_logprobs: z.array(z.record(z.string(), z.number())).nullable(),
    text_offset: z.array(z.int()),
  })
  .openapi('CompletionLogprobs');

export const CompletionSchema = z
  .object({
    id: z.string().openapi({ example: 'cmpl-abc123' }),
    object: z.literal('text_completion'),
    created: z.int(),
    model: z.string(),
    system_fingerprint: z.string().nullable(),
    choices: z.array(
      z.object({
        index: z.int(),
        text: z.string(),
        logprobs: CompletionLogprobsSchema.nullable(),
        finish_reason: FinishReasonSchema.nullable(),
      }),
    ),
    usage: UsageSchema.nullable().optional(),
  })
  .openapi('Completion');

export type CompletionCreate = z.infer<typeof CompletionCreateSchema>;
export type Completion = z.infer<typeof CompletionSchema>;
