/** `tuneplane webhooks …`: endpoints (create, list, update, rotate, disable, delete) and their deliveries. */
import type { Command } from 'commander';
import type { Client } from '../../openapi/sdk/client';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  disableWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  redeliverWebhook,
  rotateWebhookEndpointSecret,
  updateWebhookEndpoint,
} from '../../openapi/sdk/sdk.gen';
import type { WebhookEventType } from '../../openapi/sdk/types.gen';
import { unwrap } from './client';
import { print, table } from './output';

export function registerWebhookCommands(program: Command, client: () => Client): void {
  const hooks = program.command('webhooks').description('Webhook endpoints');
  const events = (v?: string) => (v ? (v.split(',').map((s) => s.trim()) as WebhookEventType[]) : undefined);
  hooks
    .command('create')
    .requiredOption('--url <url>', 'receiver URL')
    .option('--events <types>', 'comma-separated event types (default: all)')
    .option('--description <text>')
    .action(async (o: { url: string; events?: string; description?: string }) => {
      print(
        unwrap(
          await createWebhookEndpoint({
            client: client(),
            body: { url: o.url, enabled_events: events(o.events), description: o.description ?? null },
          }),
        ),
      );
    });
  hooks.command('list').action(async () => {
    const page = unwrap(await listWebhookEndpoints({ client: client() }));
    table(page.data as unknown as Record<string, unknown>[], ['id', 'url', 'status', 'enabled_events']);
  });
  hooks
    .command('update <id>')
    .option('--url <url>')
    .option('--events <types>', 'comma-separated event types')
    .option('--description <text>')
    .action(async (id: string, o: { url?: string; events?: string; description?: string }) => {
      print(
        unwrap(
          await updateWebhookEndpoint({
            client: client(),
            path: { endpoint_id: id },
            body: { url: o.url, enabled_events: events(o.events), description: o.description },
          }),
        ),
      );
    });
  hooks
    .command('rotate <id>')
    .description('Rotate the signing secret (the old one keeps signing for a grace period)')
    .action(async (id: string) => {
      print(
        unwrap(await rotateWebhookEndpointSecret({ client: client(), path: { endpoint_id: id }, body: {} })),
      );
    });
  hooks.command('disable <id>').action(async (id: string) => {
    print(unwrap(await disableWebhookEndpoint({ client: client(), path: { endpoint_id: id } })));
  });
  hooks.command('delete <id>').action(async (id: string) => {
    print(unwrap(await deleteWebhookEndpoint({ client: client(), path: { endpoint_id: id } })));
  });
  hooks.command('deliveries <id>').action(async (id: string) => {
    const page = unwrap(await listWebhookDeliveries({ client: client(), path: { endpoint_id: id } }));
    const last = (d: (typeof page.data)[number]) => d.attempts.at(-1);
    table(
      page.data.map((d) => ({
        id: d.id,
        event: d.event.type,
        status: d.status,
        attempts: d.attempt_count,
        last_response: last(d)?.status_code ?? last(d)?.error ?? '',
        next_attempt_at: d.next_attempt_at ?? '',
      })),
      ['id', 'event', 'status', 'attempts', 'last_response', 'next_attempt_at'],
    );
  });
  hooks.command('redeliver <id> <deliveryId>').action(async (id: string, deliveryId: string) => {
    print(
      unwrap(
        await redeliverWebhook({ client: client(), path: { endpoint_id: id, delivery_id: deliveryId } }),
      ),
    );
  });
}
