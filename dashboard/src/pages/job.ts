/**
 * A job: status and actions (pause, resume, cancel), live charts of its metrics, checkpoints,
 * events, and the resolved hyperparameters with their explanations. Polls the job, its new metrics
 * (MetricsFeed: the metrics columns after the last step it has), its newest events (EventFeed) and
 * its checkpoints every 2 s until the job has ended.
 */
import type { FineTuningJob, FineTuningJobCheckpoint } from '../../../openapi/sdk/types.gen';
import {
  cancelFineTuningJob,
  listFineTuningJobCheckpoints,
  pauseFineTuningJob,
  resumeFineTuningJob,
  retrieveFineTuningJob,
} from '../../../openapi/sdk/sdk.gen';
import { api, unwrap } from '../lib/api';
import { checkpointsTable } from '../lib/checkpoints';
import { jobHyperparameters } from '../lib/method';
import { actionButton, fill, h, showError, showNotice } from '../lib/dom';
import { modelDownloads } from '../lib/download';
import { EventFeed } from '../lib/event-feed';
import { dateTime, relative } from '../lib/format';
import { jobCharts } from '../lib/job-charts';
import { MetricsFeed } from '../lib/metrics-feed';
import { poll } from '../lib/poll';
import { resolvedTable } from '../lib/resolved';
import { badge, isTerminal, progressCell } from '../lib/status';

export function jobPage(root: HTMLElement, params: Record<string, string>): () => void {
  const id = params.id;
  const path = { fine_tuning_job_id: id };
  const head = h('div', { class: 'page-head' });
  const summary = h('section', { class: 'summary', attrs: { 'aria-label': 'Summary' } });
  const charts = jobCharts();
  const checkpoints = h('section', { attrs: { 'aria-labelledby': 'cp-h' } });
  const events = h('section', { attrs: { 'aria-labelledby': 'ev-h' } });
  const hyper = h('section', { attrs: { 'aria-labelledby': 'hp-h' } });
  const feed = new EventFeed(id);
  const metrics = new MetricsFeed(id);
  let job: FineTuningJob | undefined;
  let cps: FineTuningJobCheckpoint[] = [];
  let downloads: HTMLElement | null = null;

  const act = (label: string, call: typeof cancelFineTuningJob, idAttr: string) =>
    actionButton(
      label,
      async () => {
        job = await unwrap(call({ client: api(), path }));
        showNotice(`${label}: the job is now ${job.status}.`);
        renderHead();
        renderSummary();
      },
      { id: idAttr, class: label === 'Cancel' ? 'danger' : '' },
    );

  const renderHead = () => {
    if (!job) return;
    const s = job.status;
    fill(
      head,
      h('h1', null, 'Job ', h('code', null, job.id), ' ', badge(s)),
      h(
        'div',
        { class: 'actions' },
        s === 'running' || s === 'queued' ? act('Pause', pauseFineTuningJob, 'pause-job') : null,
        s === 'paused' ? act('Resume', resumeFineTuningJob, 'resume-job') : null,
        !isTerminal(s) ? act('Cancel', cancelFineTuningJob, 'cancel-job') : null,
        job.fine_tuned_model
          ? h(
              'a',
              { class: 'button', href: `#/playground?job=${encodeURIComponent(job.id)}` },
              'Open in playground',
            )
          : null,
      ),
    );
  };

  const renderSummary = () => {
    if (!job) return;
    const j = job;
    const row = (k: string, v: unknown) => [h('dt', null, k), h('dd', null, v as Node)];
    fill(
      summary,
      h(
        'dl',
        { class: 'facts' },
        row('Model', j.model),
        row('Provider', j.provider),
        row('Progress', progressCell(j)),
        j.progress?.epoch !== undefined
          ? row('Epoch', `${j.progress.epoch} of ${jobHyperparameters(j).n_epochs}`)
          : null,
        row('Created', dateTime(j.created_at)),
        j.estimated_finish && !isTerminal(j.status)
          ? row('Estimated finish', `${dateTime(j.estimated_finish)} (${relative(j.estimated_finish)})`)
          : null,
        j.finished_at ? row('Finished', dateTime(j.finished_at)) : null,
        row('Training file', j.training_file),
        j.validation_file ? row('Validation file', j.validation_file) : null,
        j.trained_tokens ? row('Trained tokens', j.trained_tokens.toLocaleString('en-US')) : null,
        j.fine_tuned_model
          ? row('Fine-tuned model', h('span', null, h('code', null, j.fine_tuned_model), downloads))
          : null,
        j.error ? row('Error', h('span', { class: 'error' }, `${j.error.message} (${j.error.code})`)) : null,
        j.metadata && Object.keys(j.metadata).length
          ? row(
              'Metadata',
              Object.entries(j.metadata)
                .map(([k, v]) => `${k}=${v}`)
                .join(', '),
            )
          : null,
      ),
    );
  };

  const renderEvents = () => {
    const shown = [...feed.events].reverse();
    const older = feed.hasOlder
      ? actionButton(
          'Show older events',
          async () => {
            await feed.older();
            renderEvents();
          },
          { id: 'older-events', class: 'secondary' },
        )
      : null;
    fill(
      events,
      h('h2', { id: 'ev-h' }, 'Events'),
      h(
        'p',
        { class: 'help' },
        `The newest ${shown.length} events, newest first${feed.hasOlder ? '; older ones on request' : ''}.`,
      ),
      h(
        'ol',
        // A scrolling list: focusable, so a keyboard can scroll it too.
        { class: 'events', reversed: true, tabIndex: 0, attrs: { 'aria-labelledby': 'ev-h' } },
        shown.map((e) =>
          h(
            'li',
            { class: `level-${e.level}` },
            h('time', null, dateTime(e.created_at)),
            ' ',
            h('span', { class: 'badge' }, e.level),
            ' ',
            e.message,
          ),
        ),
      ),
      older,
    );
  };

  const renderHyper = () => {
    if (!job) return;
    fill(
      hyper,
      h('h2', { id: 'hp-h' }, 'Hyperparameters'),
      resolvedTable(
        { ...(jobHyperparameters(job) as unknown as Record<string, unknown>), seed: job.seed },
        job.hyperparameter_explanations,
        'Resolved hyperparameters',
      ),
    );
  };

  let shown = false;
  /** The status the head and hyperparameters were last drawn for. */
  let renderedStatus: string | undefined;
  const show = () => {
    if (shown || gone) return;
    shown = true;
    fill(root, head, summary, h('h2', null, 'Metrics'), charts.element, checkpoints, events, hyper);
  };
  const drawMetrics = () => {
    performance.mark('tuneplane:charts:start');
    charts.update(metrics.columns);
    performance.measure('tuneplane:charts', 'tuneplane:charts:start');
  };

  const refresh = async () => {
    const [j, newPoints, newEvents, cpList] = await Promise.all([
      unwrap(retrieveFineTuningJob({ client: api(), path })).then((x) => {
        job ??= x;
        renderHead();
        renderSummary();
        return x;
      }),
      metrics.update(),
      feed.update(),
      unwrap(listFineTuningJobCheckpoints({ client: api(), path, query: { limit: 100 } })),
    ]);
    const statusChanged = renderedStatus !== j.status;
    renderedStatus = j.status;
    job = j;
    if (j.fine_tuned_model && !downloads)
      downloads = await modelDownloads(j.fine_tuned_model).catch(() => null);
    if (statusChanged) renderHead();
    renderSummary();
    if (newPoints || !root.contains(charts.element)) {
      show();
      drawMetrics();
    }
    if (newEvents || !root.contains(events.firstChild)) renderEvents();
    if (JSON.stringify(cpList.data) !== JSON.stringify(cps)) {
      cps = cpList.data;
      fill(checkpoints, h('h2', { id: 'cp-h' }, 'Checkpoints'), checkpointsTable(j, cps));
    }
    if (statusChanged) renderHyper();
    return !isTerminal(j.status);
  };

  fill(root, head, h('p', { class: 'muted' }, 'Loading…'));
  let stop = () => {};
  let gone = false;
  refresh()
    .then((more) => {
      if (gone) return;
      show();
      root.dataset.ready = 'true';
      if (more) stop = poll(refresh, 2000);
    })
    .catch((err) => {
      fill(root, h('h1', null, 'Job ', h('code', null, id)));
      showError(err);
    });
  return () => {
    gone = true;
    stop();
    charts.destroy();
  };
}
