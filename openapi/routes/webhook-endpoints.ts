/** /v1/webhook_endpoints: endpoints (create shows the secret once), their delivery log, redelivery, secret rotation. */
import { createRoute } from '@hono/zod-openapi';
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
} from '../schemas/webhook-endpoint';
import { IdempotencyHeadersSchema, errorResponses, json, jsonBody, security } from './common';

const tags = ['Webhook endpoints'];

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

/** Every operation of this group, in the order the document lists them. */
export const webhookEndpointRoutes = [
  createWebhookEndpointRoute,
  listWebhookEndpointsRoute,
  retrieveWebhookEndpointRoute,
  updateWebhookEndpointRoute,
  disableWebhookEndpointRoute,
  rotateWebhookSecretRoute,
  deleteWebhookEndpointRoute,
  listWebhookDeliveriesRoute,
  redeliverWebhookRoute,
] as const;
