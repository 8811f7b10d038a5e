/**
 * What chat completions and completions share: the sampling parameters with OpenAI's ranges, stop
 * sequences, usage, and the rule for the parameters we do not implement. Those are named in the
 * schema so a request that uses one gets a 400 that names it (`unsupported_parameter`), never a
 * silently different answer; a field OpenAI does not have at all is an unknown field (strict objects).
 */
import { z } from '@hono/zod-openapi';

/** Most choices one request may ask for (OpenAI allows 128; each choice here costs a cache row). */
export const MAX_CHOICES = 16;
export const MAX_STOP_SEQUENCES = 4;

export const StopSchema = z
  .union([
    z.string().min(1, 'a stop sequence must not be empty'),
    z
      .array(z.string().min(1, 'a stop sequence must not be empty'))
      .min(1)
      .max(MAX_STOP_SEQUENCES, `at most ${MAX_STOP_SEQUENCES} stop sequences`),
  ])
  .nullable()
  .optional()
  .openapi({
    description: 'Up to 4 sequences where generation stops; the returned text does not contain them.',
  });

export const LogitBiasSchema = z
  .record(z.string().regex(/^\d+$/, 'keys must be token ids'), z.number().min(-100).max(100))
  .nullable()
  .optional()
  .openapi({ description: 'Token id → bias in [-100, 100] added to its logit before sampling.' });

/** The sampling parameters both endpoints take, with OpenAI's ranges. */
export const samplingFields = {
  model: z.string().min(1).max(256).openapi({ example: 'ft:tuneplane-tiny-char:org:suffix:abc123' }),
  temperature: z
    .number()
    .min(0)
    .max(2)
    .nullable()
    .optional()
    .openapi({ description: '0 = greedy. Default 1.' }),
  top_p: z
    .number()
    .gt(0)
    .max(1)
    .nullable()
    .optional()
    .openapi({ description: 'Nucleus sampling mass. Default 1.' }),
  n: z
    .int()
    .min(1)
    .max(MAX_CHOICES)
    .nullable()
    .optional()
    .openapi({ description: `Choices to generate (1–${MAX_CHOICES}).` }),
  seed: z.int().nullable().optional().openapi({ description: 'Same seed and request → same output.' }),
  stop: StopSchema,
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  logit_bias: LogitBiasSchema,
  user: z.string().max(512).optional(),
  stream: z
    .boolean()
    .nullable()
    .optional()
    .openapi({ description: 'Server-sent events ending in `data: [DONE]`.' }),
  stream_options: z
    .strictObject({
      include_usage: z.boolean().optional(),
      include_obfuscation: z.boolean().optional(),
    })
    .nullable()
    .optional()
    .openapi({ description: 'With stream: a last chunk with `usage` (and empty choices) before [DONE].' }),
};

/** A field we know from OpenAI's API but do not implement: accepted only when absent (or a no-op value). */
export function unsupported(description: string, allowed: (value: unknown) => boolean = (v) => v === null) {
  return z
    .unknown()
    .optional()
    .refine((v) => v === undefined || allowed(v), { message: `not supported by Tuneplane: ${description}` })
    .openapi({ description: `Not supported: ${description}. A request that sets it is a 400.` });
}

/** Marks the issues of unsupported fields so the error edge reports `unsupported_parameter`. */
export const UNSUPPORTED_PREFIX = 'not supported by Tuneplane';

export const UsageSchema = z
  .object({
    prompt_tokens: z.int(),
    completion_tokens: z.int(),
    total_tokens: z.int(),
  })
  .openapi('CompletionUsage');

export const FinishReasonSchema = z.enum(['stop', 'length']).openapi('FinishReason');

/** Rules that span fields, shared by both requests. */
export function checkStreamOptions(
  body: { stream?: boolean | null; stream_options?: unknown },
  ctx: z.RefinementCtx,
): void {
  if (body.stream_options != null && body.stream !== true)
    ctx.addIssue({
      code: 'custom',
      path: ['stream_options'],
      message: 'stream_options is only allowed when stream is true',
    });
}
