/**
 * Webhooks from providers (OpenAI's fine-tuning events). Not under the tenant's API key: the
 * request authenticates itself with the provider's Standard Webhooks signature, checked with the
 * `openai` SDK's verifier (supplied by the composition root) against the secret configured for our
 * endpoint at OpenAI.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { syncByProviderJobId } from '../../domain/dispatch';
import { ValidationError } from '../../errors';
import type { ApiContext } from '../context';
import type { ProviderWebhookDeps } from '../deps';
import type { ApiEnv } from '../env';

export function registerProviderRoutes(
  app: OpenAPIHono<ApiEnv>,
  ctx: ApiContext,
  deps: ProviderWebhookDeps,
): void {
  const openai = deps.openai;
  if (!openai) return;
  app.post('/v1/providers/openai/webhook', async (c) => {
    const body = await c.req.text();
    const headers = Object.fromEntries(c.req.raw.headers.entries());
    let providerJobId: string | null;
    try {
      providerJobId = await openai.verify(body, headers);
    } catch (err) {
      throw new ValidationError(
        `Webhook signature verification failed: ${(err as Error).message}`,
        'webhook-signature',
        'invalid_signature',
      );
    }
    if (providerJobId) {
      await syncByProviderJobId({ stores: ctx.stores, clock: ctx.clock }, openai.mirror, providerJobId);
    }
    return c.json({ received: true }, 200);
  });
}
