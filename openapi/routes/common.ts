/** What every route shares: bearer auth, the Idempotency-Key header on POSTs, and error responses. */
import { z } from '@hono/zod-openapi';
import { ErrorSchema } from '../schemas/error';

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
});

export const errorResponses = {
  400: error('The request breaks a rule; `param` names the field.'),
  401: error('Missing or invalid API key.'),
  403: error('Not allowed for this resource.'),
  404: error('No such resource for this API key.'),
  409: error('Not allowed in the current state, or the same Idempotency-Key is still being processed.'),
  413: error('Body larger than the route accepts.'),
  415: error('Unsupported content type.'),
  422: error('Idempotency-Key reused with a different request.'),
  500: error('Internal error (no details are shown).'),
} as const;

export const IdempotencyHeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({
      param: { in: 'header' },
      description:
        'Same key and body within 24 h → the stored response (header `Idempotent-Replayed: true`).',
    }),
});

export const security = [{ bearerAuth: [] }];

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});
