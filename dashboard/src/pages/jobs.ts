/**
 * Jobs list: newest first, filtered on the server by status, provider, model and metadata (the list
 * endpoint's query parameters, so "load more" pages through matching jobs only); refreshed while shown.
 */
import type { FineTuningJob } from '../../../openapi/sdk/types.gen';
import { listFineTuningJobs, listModels } from '../../../openapi/sdk/sdk.gen';
import { api, unwrap } from '../lib/api';
import { fill, h, showError, table, tableWrap } from '../lib/dom';
import { dateTime, relative } from '../lib/format';
import { poll } from '../lib/poll';
import { routeQuery } from '../lib/router';
import { JOB_STATUSES, badge, progressCell } from '../lib/status';

const PAGE = 50;

export function jobsPage(root: HTMLElement): () => void {
  const q = routeQuery();
  const filters = {
    status: h(
      'select',
      { id: 'f-status' },
      h('option', { value: '' }, 'any'),
      JOB_STATUSES.map((s) => h('option', { value: s }, s)),
    ),
    provider: h(
      'select',
      { id: 'f-provider' },
      ['', 'local', 'batch', 'openai'].map((p) => h('option', { value: p }, p || 'any')),
    ),
    model: h('select', { id: 'f-model' }, h('option', { value: '' }, 'any')),
    metadata: h('input', { id: 'f-metadata', type: 'search', placeholder: 'key=value' }),
  };
  filters.status.value = q.get('status') ?? '';
  filters.provider.value = q.get('provider') ?? '';
  const initialModel = q.get('model') ?? '';
  const body = tableWrap('Jobs');
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const count = h('p', { class: 'muted', attrs: { 'aria-live': 'polite' } });
  let jobs: FineTuningJob[] = [];
  let hasMore = false;

  const metadataQuery = (): Record<string, string> | undefined => {
    const m = /^\s*([^=\s]+)\s*=\s*(.*)$/.exec(filters.metadata.value);
    return m ? { [m[1]]: m[2].trim() } : undefined;
  };

  const filtered = () =>
    Boolean(filters.status.value || filters.provider.value || filters.model.value || metadataQuery());

  const render = () => {
    const shown = jobs;
    count.textContent = `${jobs.length} job${jobs.length === 1 ? '' : 's'}${filtered() ? ' matching the filters' : ''}${hasMore ? ' (more on the server)' : ''}`;
    more.hidden = !hasMore;
    fill(
      body,
      shown.length === 0
        ? h(
            'p',
            { class: 'empty' },
            filtered() ? 'No job matches the filters.' : 'No jobs yet. ',
            filtered() ? null : h('a', { href: '#/jobs/new' }, 'Create one'),
          )
        : table(
            ['Job', 'Status', 'Model', 'Provider', 'Progress', 'Created', 'Estimated finish'],
            shown,
            (j) => [
              h('a', { href: `#/jobs/${j.id}` }, j.id),
              badge(j.status),
              h(
                'span',
                null,
                j.model,
                j.fine_tuned_model ? h('div', { class: 'muted small' }, j.fine_tuned_model) : null,
              ),
              j.provider,
              progressCell(j),
              h('time', { dateTime: new Date(j.created_at * 1000).toISOString() }, dateTime(j.created_at)),
              j.estimated_finish
                ? h('span', { title: dateTime(j.estimated_finish) }, relative(j.estimated_finish))
                : j.finished_at
                  ? `finished ${relative(j.finished_at)}`
                  : '–',
            ],
            { caption: 'Fine-tuning jobs, newest first' },
          ),
    );
  };

  /** Reloads as many jobs as are shown (at least one page), so refreshes keep "load more" pages. */
  const load = async (append = false) => {
    const want = append ? jobs.length + PAGE : Math.max(PAGE, jobs.length);
    const next: FineTuningJob[] = append ? [...jobs] : [];
    let after = append ? jobs.at(-1)?.id : undefined;
    let more = true;
    while (more && next.length < want) {
      const page = await unwrap(
        listFineTuningJobs({
          client: api(),
          query: {
            limit: Math.min(100, want - next.length),
            after,
            metadata: metadataQuery(),
            status: (filters.status.value || undefined) as FineTuningJob['status'] | undefined,
            provider: (filters.provider.value || undefined) as FineTuningJob['provider'] | undefined,
            model: filters.model.value || undefined,
          },
        }),
      );
      next.push(...page.data);
      more = page.has_more;
      after = page.last_id ?? undefined;
    }
    jobs = next;
    hasMore = more;
    render();
  };

  more.addEventListener('click', () => load(true).catch(showError));
  // A filter change starts over from the first page of matching jobs.
  for (const el of Object.values(filters)) el.addEventListener('change', () => load().catch(showError));
  // The model filter offers every model the key can see (base and fine-tuned ones: a job may tune either).
  unwrap(listModels({ client: api() }))
    .then((models) => {
      for (const m of models.data) filters.model.append(h('option', { value: m.id }, m.id));
      if (initialModel) filters.model.value = initialModel;
      if (filters.model.value) load().catch(showError);
    })
    .catch(showError);

  fill(
    root,
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, 'Fine-tuning jobs'),
      h('a', { class: 'button', href: '#/jobs/new' }, 'New job'),
    ),
    h(
      'form',
      {
        class: 'filters',
        attrs: { role: 'search', 'aria-label': 'Filter jobs' },
        on: { submit: (e: Event) => e.preventDefault() },
      },
      h('label', null, 'Status ', filters.status),
      h('label', null, 'Provider ', filters.provider),
      h('label', null, 'Model ', filters.model),
      h('label', null, 'Metadata ', filters.metadata),
    ),
    count,
    body,
    more,
  );
  load().catch(showError);
  return poll(() => load(), 5000);
}
