/** Webhook endpoints: list, create (the signing secret is shown once), open one for its deliveries. */
import type { WebhookEventType } from '../../../openapi/sdk/types.gen';
import { createWebhookEndpoint, listWebhookEndpoints } from '../../../openapi/sdk/sdk.gen';
import { api, unwrap } from '../lib/api';
import { actionButton, fill, h, showError, table, tableWrap } from '../lib/dom';
import { dateTime } from '../lib/format';
import { deref, schema } from '../lib/schema';

/** From the contract, so a new event type appears here without a change. */
const EVENT_TYPES = (deref(schema('WebhookEventType')).enum ?? []) as WebhookEventType[];

export function webhooksPage(root: HTMLElement): void {
  const list = tableWrap('Webhook endpoints', h('p', { class: 'muted' }, 'Loading…'));
  const url = h('input', {
    id: 'wh-url',
    type: 'url',
    required: true,
    placeholder: 'https://example.com/hooks',
    autocomplete: 'off',
  });
  const description = h('input', { id: 'wh-description', type: 'text', autocomplete: 'off' });
  const boxes = EVENT_TYPES.map((t) => h('input', { type: 'checkbox', value: t, id: `wh-ev-${t}` }));
  const created = h('div', { attrs: { 'aria-live': 'polite' } });

  const load = async () => {
    const page = await unwrap(listWebhookEndpoints({ client: api(), query: { limit: 100 } }));
    fill(
      list,
      page.data.length === 0
        ? h('p', { class: 'empty' }, 'No webhook endpoints yet.')
        : table(
            ['Endpoint', 'URL', 'Status', 'Events', 'Created'],
            page.data,
            (e) => [
              h('a', { href: `#/webhooks/${e.id}` }, e.id),
              h('code', null, e.url),
              e.status + (e.disabled_reason ? ` (${e.disabled_reason})` : ''),
              e.enabled_events.length ? e.enabled_events.join(', ') : 'all',
              dateTime(e.created_at),
            ],
            { caption: 'Webhook endpoints' },
          ),
    );
  };

  const create = actionButton(
    'Create endpoint',
    async () => {
      const enabled = boxes.filter((b) => b.checked).map((b) => b.value as WebhookEventType);
      const e = await unwrap(
        createWebhookEndpoint({
          client: api(),
          body: {
            url: url.value.trim(),
            enabled_events: enabled,
            ...(description.value.trim() ? { description: description.value.trim() } : {}),
          },
        }),
      );
      fill(
        created,
        h(
          'div',
          { class: 'notice' },
          h(
            'p',
            null,
            'Created ',
            h('a', { href: `#/webhooks/${e.id}` }, e.id),
            '. Its signing secret is shown this once: store it now.',
          ),
          h('code', { class: 'secret' }, e.secret),
        ),
      );
      url.value = '';
      await load();
    },
    { class: 'primary' },
  );

  fill(
    root,
    h('h1', null, 'Webhook endpoints'),
    list,
    h(
      'form',
      { class: 'webhook-form', on: { submit: (e: Event) => e.preventDefault() } },
      h('h2', null, 'New endpoint'),
      h(
        'div',
        { class: 'field' },
        h('label', { attrs: { for: url.id } }, 'URL'),
        url,
        h(
          'p',
          { class: 'help' },
          'http or https; a public address (loopback only when the stack allows it).',
        ),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { attrs: { for: description.id } }, 'Description'),
        description,
      ),
      h(
        'fieldset',
        null,
        h('legend', null, 'Events (none ticked = all)'),
        h(
          'div',
          { class: 'checks' },
          boxes.map((b) => h('label', null, b, ` ${b.value}`)),
        ),
      ),
      create,
    ),
    created,
  );
  load().catch(showError);
}
