/**
 * /v1/webhook_endpoints: endpoints (create shows the secret once), their delivery log, manual
 * redelivery and secret rotation. Tenant-scoped through the auth middleware's `tenantId`.
 *
 * The app mounts this with `registerWebhookEndpointRoutes(app, ctx, deps.webhooks)` when the
 * composition root supplies webhook dependencies.
 */
import { type OpenAPIHono, createRoute } from '@hono/zod-openapi';
import {
  IdempotencyHeadersSchema,
  errorResponses,
  json,
  jsonBody,
  security,
} from '../../../openapi/routes/common';
import {
  WebhookDeliveryListSchema,
  WebhookDeliveryParamsSchema,
  WebhookDeliverySchema,
  WebhookEndpointCreateSchema,
  WebhookEndpointDeletedSchema,
  WebhookEndpointIdParamSchema,
  WebhookEndpointListQuerySchema,
  WebhookEndpointListSchema,
  WebhookEndpointSchema,
  WebhookEndpointUpdateSchema,
  WebhookEndpointWithSecretSchema,
  WebhookSecretRotateSchema,
  type WebhookDeliveryObject,
  type WebhookEndpointObject,
} from '../../../openapi/schemas/webhook-endpoint';
import {
  DEFAULT_ROTATION_GRACE_SECONDS,
  type DeliveryAttempt,
  type WebhookDeliveryRecord,
  type WebhookEndpointRecord,
  createEndpointService,
} from '../../domain/webhooks';
import type { SecretBox, WebhookStores } from '../../ports/webhooks';
import type { ApiContext } from '../context';
import type { ApiEnv } from '../env';
import { presentList } from '../present';

/** What the composition root gives the webhook routes (AppDeps.webhooks). */
export interface WebhookApiDeps {
  stores: WebhookStores;
  secrets: SecretBox;
  /** Why a URL may never be a target, or null (functions/adapters/http `webhookUrlChecker`). */
  checkUrl: (url: string) => string | null;
  /** Nudges the delivery worker after a redelivery (the local stack's `worker.kick`). */
  onWork?: () => void;
}

const tags = ['Webhook endpoints'];
const sec = (ms: number) => Math.floor(ms / 1000);

export const createWebhookEndpointRoute = createRoute({
  operationId: 'createWebhookEndpoint',
  method: 'post',
  path: '/v1/webhook_endpoints',
  tags,
  security,
  summary:
    'Register a URL for signed event notifications; the signing secret is shown only in this response.',
  request: { headers: IdempotencyHeadersSchema, body: jsonBody(WebhookEndpointCreateSchema) },
  responses: {
    200: json(WebhookEndpointWithSecretSchema, 'The endpoint and its secret (shown once).'),
    ...errorResponses,
  },
});

export const listWebhookEndpointsRoute = createRoute({
  operationId: 'listWebhookEndpoints',
  method: 'get',
  path: '/v1/webhook_endpoints',
  tags,
  security,
  request: { query: WebhookEndpointListQuerySchema },
  responses: { 200: json(WebhookEndpointListSchema, 'Endpoints, newest first.'), ...errorResponses },
});

export const retrieveWebhookEndpointRoute = createRoute({
  operationId: 'retrieveWebhookEndpoint',
  method: 'get',
  path: '/v1/webhook_endpoints/{endpoint_id}',
  tags,
  security,
  request: { params: WebhookEndpointIdParamSchema },
  responses: { 200: json(WebhookEndpointSchema, 'The endpoint.'), ...errorResponses },
});

export const updateWebhookEndpointRoute = createRoute({
  operationId: 'updateWebhookEndpoint',
  method: 'post',
  path: '/v1/webhook_endpoints/{endpoint_id}',
  tags,
  security,
  summary: 'Change the URL, event filter, description, or enable/disable the endpoint.',
  request: {
    params: WebhookEndpointIdParamSchema,
    headers: IdempotencyHeadersSchema,
    body: jsonBody(WebhookEndpointUpdateSchema),
  },
  responses: { 200: json(WebhookEndpointSchema, 'The updated endpoint.'), ...errorResponses },
});

export const disableWebhookEndpointRoute = createRoute({
  operationId: 'disableWebhookEndpoint',
  method: 'post',
  path: '/v1/webhook_endpoints/{endpoint_id}/disable',
  tags,
  security,
  request: { params: WebhookEndpointIdParamSchema, headers: IdempotencyHeadersSchema },
  responses: {
    200: json(WebhookEndpointSchema, 'The disabled endpoint; pending deliveries are cancelled.'),
    ...errorResponses,
  },
});

export const rotateWebhookSecretRoute = createRoute({
  operationId: 'rotateWebhookEndpointSecret',
  method: 'post',
  path: '/v1/webhook_endpoints/{endpoint_id}/rotate_secret',
  tags,
  security,
  summary: 'New signing secret (shown once); the previous one keeps signing too for the grace period.',
  request: {
    params: WebhookEndpointIdParamSchema,
    headers: IdempotencyHeadersSchema,
    body: { required: false, content: { 'application/json': { schema: WebhookSecretRotateSchema } } },
  },
  responses: {
    200: json(WebhookEndpointWithSecretSchema, 'The endpoint and its new secret (shown once).'),
    ...errorResponses,
  },
});

export const deleteWebhookEndpointRoute = createRoute({
  operationId: 'deleteWebhookEndpoint',
  method: 'delete',
  path: '/v1/webhook_endpoints/{endpoint_id}',
  tags,
  security,
  request: { params: WebhookEndpointIdParamSchema },
  responses: {
    200: json(WebhookEndpointDeletedSchema, 'Deleted; pending deliveries are cancelled.'),
    ...errorResponses,
  },
});

export const listWebhookDeliveriesRoute = createRoute({
  operationId: 'listWebhookDeliveries',
  method: 'get',
  path: '/v1/webhook_endpoints/{endpoint_id}/deliveries',
  tags,
  security,
  request: { params: WebhookEndpointIdParamSchema, query: WebhookEndpointListQuerySchema },
  responses: {
    200: json(WebhookDeliveryListSchema, 'Deliveries with their attempts, newest first.'),
    ...errorResponses,
  },
});

export const redeliverWebhookRoute = createRoute({
  operationId: 'redeliverWebhook',
  method: 'post',
  path: '/v1/webhook_endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver',
  tags,
  security,
  summary: 'Send the event again, starting now, with a new series of retries; the webhook-id stays the same.',
  request: { params: WebhookDeliveryParamsSchema, headers: IdempotencyHeadersSchema },
  responses: { 202: json(WebhookDeliverySchema, 'Scheduled.'), ...errorResponses },
});

export function presentWebhookEndpoint(e: WebhookEndpointRecord): WebhookEndpointObject {
  const previous = e.secrets.find((s) => s.expiresAtMs !== null);
  return {
    id: e.id,
    object: 'webhook_endpoint',
    url: e.url,
    description: e.description,
    enabled_events: e.enabledEvents,
    status: e.status,
    disabled_reason: e.disabledReason,
    created_at: sec(e.createdAtMs),
    updated_at: sec(e.updatedAtMs),
    previous_secret_expires_at: previous?.expiresAtMs ? sec(previous.expiresAtMs) : null,
  };
}

function presentAttempt(a: DeliveryAttempt) {
  return {
    attempted_at: sec(a.attemptedAtMs),
    status_code: a.statusCode,
    response_snippet: a.responseSnippet,
    error: a.error,
    duration_ms: a.durationMs,
    next_attempt_at: a.nextAttemptAtMs === null ? null : sec(a.nextAttemptAtMs),
  };
}

export function presentWebhookDelivery(d: WebhookDeliveryRecord): WebhookDeliveryObject {
  return {
    id: d.id,
    object: 'webhook_delivery',
    endpoint_id: d.endpointId,
    event: JSON.parse(d.payload),
    status: d.status,
    attempt_count: d.attemptCount,
    // While an attempt is in flight the stored time is its lease; it is still "due".
    next_attempt_at: d.status === 'pending' && d.nextAttemptAtMs !== null ? sec(d.nextAttemptAtMs) : null,
    created_at: sec(d.createdAtMs),
    updated_at: sec(d.updatedAtMs),
    attempts: d.attempts.map(presentAttempt),
  };
}

export function registerWebhookEndpointRoutes(
  app: OpenAPIHono<ApiEnv>,
  ctx: ApiContext,
  deps: WebhookApiDeps,
) {
  const service = createEndpointService({
    endpoints: deps.stores.endpoints,
    deliveries: deps.stores.deliveries,
    secrets: deps.secrets,
    clock: ctx.clock,
    ids: ctx.ids,
    checkUrl: deps.checkUrl,
    onWork: deps.onWork,
  });

  app.openapi(createWebhookEndpointRoute, async (c) => {
    const body = c.req.valid('json');
    const { endpoint, secret } = await service.create(c.get('tenantId'), {
      url: body.url,
      enabledEvents: body.enabled_events,
      description: body.description,
    });
    // The only response that carries the secret: keep it out of caches.
    c.header('cache-control', 'no-store');
    return c.json({ ...presentWebhookEndpoint(endpoint), secret }, 200);
  });

  app.openapi(listWebhookEndpointsRoute, async (c) => {
    const { after, limit } = c.req.valid('query');
    return c.json(
      presentList(await service.list(c.get('tenantId'), { after, limit }), presentWebhookEndpoint),
      200,
    );
  });

  app.openapi(retrieveWebhookEndpointRoute, async (c) => {
    return c.json(
      presentWebhookEndpoint(await service.get(c.get('tenantId'), c.req.valid('param').endpoint_id)),
      200,
    );
  });

  app.openapi(updateWebhookEndpointRoute, async (c) => {
    const body = c.req.valid('json');
    const endpoint = await service.update(c.get('tenantId'), c.req.valid('param').endpoint_id, {
      url: body.url,
      enabledEvents: body.enabled_events,
      description: body.description,
      enabled: body.enabled,
    });
    return c.json(presentWebhookEndpoint(endpoint), 200);
  });

  app.openapi(disableWebhookEndpointRoute, async (c) => {
    return c.json(
      presentWebhookEndpoint(await service.disable(c.get('tenantId'), c.req.valid('param').endpoint_id)),
      200,
    );
  });

  app.openapi(rotateWebhookSecretRoute, async (c) => {
    const body = (c.req.valid('json') ?? {}) as { grace_period_seconds?: number };
    const { endpoint, secret } = await service.rotateSecret(
      c.get('tenantId'),
      c.req.valid('param').endpoint_id,
      body.grace_period_seconds ?? DEFAULT_ROTATION_GRACE_SECONDS,
    );
    c.header('cache-control', 'no-store');
    return c.json({ ...presentWebhookEndpoint(endpoint), secret }, 200);
  });

  app.openapi(deleteWebhookEndpointRoute, async (c) => {
    const id = c.req.valid('param').endpoint_id;
    await service.delete(c.get('tenantId'), id);
    return c.json({ id, object: 'webhook_endpoint.deleted' as const, deleted: true }, 200);
  });

  app.openapi(listWebhookDeliveriesRoute, async (c) => {
    const { after, limit } = c.req.valid('query');
    const page = await service.listDeliveries(c.get('tenantId'), c.req.valid('param').endpoint_id, {
      after,
      limit,
    });
    return c.json(presentList(page, presentWebhookDelivery), 200);
  });

  app.openapi(redeliverWebhookRoute, async (c) => {
    const { endpoint_id, delivery_id } = c.req.valid('param');
    const delivery = await service.redeliver(c.get('tenantId'), endpoint_id, delivery_id);
    return c.json(presentWebhookDelivery(delivery), 202);
  });
}
