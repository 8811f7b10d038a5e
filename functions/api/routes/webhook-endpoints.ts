/**
 * /v1/webhook_endpoints: endpoints (create shows the secret once), their delivery log, manual
 * redelivery and secret rotation. Tenant-scoped through the auth middleware's `tenantId`.
 *
 * The app mounts this with `registerWebhookEndpointRoutes(app, ctx, deps.webhooks)` when the
 * composition root supplies webhook dependencies.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import {
  createWebhookEndpointRoute,
  deleteWebhookEndpointRoute,
  disableWebhookEndpointRoute,
  listWebhookDeliveriesRoute,
  listWebhookEndpointsRoute,
  redeliverWebhookRoute,
  retrieveWebhookEndpointRoute,
  rotateWebhookSecretRoute,
  updateWebhookEndpointRoute,
} from '../../../openapi/routes/webhook-endpoints';
import { DEFAULT_ROTATION_GRACE_SECONDS, createEndpointService } from '../../domain/webhooks';
import type { ApiContext } from '../context';
import type { WebhookApiDeps } from '../deps';
import type { ApiEnv } from '../env';
import { presentList, presentWebhookDelivery, presentWebhookEndpoint } from '../present';

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
