/** One webhook endpoint: its deliveries (status, each attempt's response) and redelivery. */
import type { WebhookDelivery, WebhookEndpoint } from '../../../openapi/sdk/types.gen';
import {
  listWebhookDeliveries,
  redeliverWebhook,
  retrieveWebhookEndpoint,
} from '../../../openapi/sdk/sdk.gen';
import { api, unwrap } from '../lib/api';
import { actionButton, fill, h, showError, showNotice, table, tableWrap } from '../lib/dom';
import { dateTime, relative } from '../lib/format';
import { poll } from '../lib/poll';
import { badge } from '../lib/status';

function attemptsCell(d: WebhookDelivery): Node {
  if (!d.attempts.length) return h('span', { class: 'muted' }, 'none yet');
  return h(
    'ol',
    { class: 'attempts' },
    d.attempts.map((a) =>
      h(
        'li',
        null,
        h('time', null, dateTime(a.attempted_at)),
        ' ',
        a.status_code !== null
          ? h('span', { class: `code c${String(a.status_code)[0]}xx` }, `HTTP ${a.status_code}`)
          : h('span', { class: 'code c5xx' }, 'no response'),
        ` · ${a.duration_ms} ms`,
        // The sender's error repeats the status for HTTP failures; show it only when it says more.
        a.error && a.error !== `HTTP ${a.status_code}` ? h('div', { class: 'error small' }, a.error) : null,
        a.response_snippet ? h('pre', { class: 'snippet' }, a.response_snippet) : null,
      ),
    ),
  );
}

export function webhookEndpointPage(root: HTMLElement, params: Record<string, string>): () => void {
  const id = params.id;
  const head = h('div');
  const body = tableWrap('Deliveries', h('p', { class: 'muted' }, 'Loading…'));
  let endpoint: WebhookEndpoint | undefined;

  const load = async () => {
    const [e, deliveries] = await Promise.all([
      unwrap(retrieveWebhookEndpoint({ client: api(), path: { endpoint_id: id } })),
      unwrap(listWebhookDeliveries({ client: api(), path: { endpoint_id: id }, query: { limit: 100 } })),
    ]);
    if (!endpoint) {
      fill(
        head,
        h('h1', null, 'Webhook endpoint ', h('code', null, e.id)),
        h(
          'dl',
          { class: 'facts' },
          h('dt', null, 'URL'),
          h('dd', null, h('code', null, e.url)),
          h('dt', null, 'Status'),
          h('dd', null, e.status),
          h('dt', null, 'Events'),
          h('dd', null, e.enabled_events.length ? e.enabled_events.join(', ') : 'all'),
        ),
      );
    }
    endpoint = e;
    fill(
      body,
      deliveries.data.length === 0
        ? h('p', { class: 'empty' }, 'No deliveries yet: they appear when an enabled event happens.')
        : table(
            ['Event', 'Status', 'Attempts (response)', 'Next attempt', ''],
            deliveries.data,
            (d) => [
              h(
                'span',
                null,
                h('code', null, d.event.type),
                h('div', { class: 'small muted' }, d.event.data.id),
              ),
              h(
                'span',
                null,
                badge(d.status),
                ` ${d.attempt_count} attempt${d.attempt_count === 1 ? '' : 's'}`,
              ),
              attemptsCell(d),
              d.next_attempt_at ? relative(d.next_attempt_at) : '–',
              actionButton(
                'Redeliver',
                async () => {
                  const r = await unwrap(
                    redeliverWebhook({ client: api(), path: { endpoint_id: id, delivery_id: d.id } }),
                  );
                  showNotice(`Redelivery of ${r.event.type} scheduled.`);
                  await load();
                },
                {
                  class: 'small redeliver',
                  attrs: { 'aria-label': `Redeliver ${d.event.type} for ${d.event.data.id}` },
                },
              ),
            ],
            { caption: 'Deliveries, newest first' },
          ),
    );
    root.dataset.ready = 'true';
  };

  fill(root, head, h('h2', null, 'Deliveries'), body);
  load().catch(showError);
  return poll(load, 3000);
}
