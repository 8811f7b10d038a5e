/** The error envelope, OpenAI's shape: every 4xx/5xx body is `{ error: { message, type, param, code } }`. */
import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({
    error: z.object({
      message: z.string().openapi({ description: 'What went wrong and which rule was broken.' }),
      type: z.string().openapi({ example: 'invalid_request_error' }),
      param: z.string().nullable().openapi({
        description: 'The offending field path, e.g. `method.supervised.hyperparameters.n_epochs`.',
      }),
      code: z.string().nullable().openapi({ example: 'invalid_value' }),
    }),
  })
  .openapi('Error');

export type ErrorBody = z.infer<typeof ErrorSchema>;
