/**
 * Webhook endpoints (our extension, `/v1/webhook_endpoints`) and their delivery log. Events are
 * signed with Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`) and carry
 * OpenAI's thin payload `{id, object: "event", type, created_at, data: {id}}`.
 */
import { z } from '@hono/zod-openapi';
import {
  WEBHOOK_DELIVERY_STATUSES,
  WEBHOOK_DISABLED_REASONS,
  WEBHOOK_ENDPOINT_STATUSES,
  WEBHOOK_EVENT_TYPES,
} from '../enums';
import { PageQuerySchema, listOf } from './list';

export { WEBHOOK_EVENT_TYPES } from '../enums';

export const WebhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES).openapi('WebhookEventType');

export const WebhookEventSchema = z
  .object({
    id: z.string().openapi({
      example: 'evt_3kq9x…',
      description: 'Also sent as `webhook-id`; the same on every attempt.',
    }),
    object: z.literal('event'),
    type: z.string().openapi({ example: 'fine_tuning.job.succeeded' }),
    created_at: z.int(),
    data: z.object({ id: z.string().openapi({ example: 'ftjob-abc123' }) }),
  })
  .openapi('WebhookEvent');

const UrlSchema = z.string().min(1).max(2048).openapi({
  format: 'uri',
  example: 'https://example.com/webhooks/tuneplane',
  description: 'http or https, public address.',
});
const EnabledEventsSchema = z
  .array(WebhookEventTypeSchema)
  .max(WEBHOOK_EVENT_TYPES.length)
  .openapi({ description: 'Event types to send; empty or omitted means all of them.' });
const DescriptionSchema = z.string().max(512).nullable();

export const WebhookEndpointIdParamSchema = z.object({
  endpoint_id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'endpoint_id', in: 'path' }, example: 'we_abc123' }),
});

export const WebhookDeliveryParamsSchema = WebhookEndpointIdParamSchema.extend({
  delivery_id: z
    .string()
    .min(1)
    .max(512)
    .openapi({ param: { name: 'delivery_id', in: 'path' }, example: 'ftjob-abc123:succeeded:we_abc123' }),
});

export const WebhookEndpointCreateSchema = z
  .strictObject({
    url: UrlSchema,
    enabled_events: EnabledEventsSchema.optional(),
    description: DescriptionSchema.optional(),
  })
  .openapi('WebhookEndpointCreate');

export const WebhookEndpointUpdateSchema = z
  .strictObject({
    url: UrlSchema.optional(),
    enabled_events: EnabledEventsSchema.optional(),
    description: DescriptionSchema.optional(),
    enabled: z
      .boolean()
      .optional()
      .openapi({ description: 'false disables the endpoint; true enables it again.' }),
  })
  .openapi('WebhookEndpointUpdate');

export const WebhookSecretRotateSchema = z
  .strictObject({
    grace_period_seconds: z
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .default(24 * 3600)
      .openapi({
        description: 'How long the previous secret keeps signing too (a second signature). Default 24 h.',
      }),
  })
  .openapi('WebhookSecretRotate');

export const WebhookEndpointSchema = z
  .object({
    id: z.string().openapi({ example: 'we_abc123' }),
    object: z.literal('webhook_endpoint'),
    url: z.string(),
    description: z.string().nullable(),
    enabled_events: z.array(z.string()),
    status: z.enum(WEBHOOK_ENDPOINT_STATUSES),
    /** `gone`: the endpoint answered 410 and was disabled by the sender. */
    disabled_reason: z.enum(WEBHOOK_DISABLED_REASONS).nullable(),
    created_at: z.int(),
    updated_at: z.int(),
    /** When the previous secret stops signing, during a rotation; else null. */
    previous_secret_expires_at: z.int().nullable(),
  })
  .openapi('WebhookEndpoint');

/** Create and rotate responses only: the secret is never shown again. */
export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().openapi({ example: 'whsec_…', description: 'Shown once. Verify signatures with it.' }),
}).openapi('WebhookEndpointWithSecret');

export const WebhookEndpointDeletedSchema = z
  .object({ id: z.string(), object: z.literal('webhook_endpoint.deleted'), deleted: z.boolean() })
  .openapi('WebhookEndpointDeleted');

export const WebhookEndpointListSchema = listOf(WebhookEndpointSchema, 'WebhookEndpointList');
export const WebhookEndpointListQuerySchema = PageQuerySchema;

export const WebhookDeliveryAttemptSchema = z
  .object({
    attempted_at: z.int(),
    status_code: z.int().nullable().openapi({ description: 'Null when no HTTP response came back.' }),
    response_snippet: z.string().nullable().openapi({ description: 'The first bytes of the response body.' }),
    error: z.string().nullable(),
    duration_ms: z.int(),
    next_attempt_at: z.int().nullable(),
  })
  .openapi('WebhookDeliveryAttempt');

export const WebhookDeliverySchema = z
  .object({
    id: z
      .string()
      .openapi({ description: '`<event source>:<endpoint id>`: one delivery per event and endpoint.' }),
    object: z.literal('webhook_delivery'),
    endpoint_id: z.string(),
    event: WebhookEventSchema,
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempt_count: z.int(),
    next_attempt_at: z.int().nullable(),
    created_at: z.int(),
    updated_at: z.int(),
    attempts: z
      .array(WebhookDeliveryAttemptSchema)
      .openapi({ description: 'The most recent attempts, oldest first.' }),
  })
  .openapi('WebhookDelivery');

export const WebhookDeliveryListSchema = listOf(WebhookDeliverySchema, 'WebhookDeliveryList');

export type WebhookEndpointObject = z.infer<typeof WebhookEndpointSchema>;
export type WebhookDeliveryObject = z.infer<typeof WebhookDeliverySchema>;
