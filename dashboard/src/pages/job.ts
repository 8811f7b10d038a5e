/**
 * A job: status and actions (pause, resume, cancel), live charts of its metrics, checkpoints,
 * events, and the resolved hyperparameters with their explanations. Polls the job, its new events
 * (EventFeed) and its checkpoints every 2 s until the job has ended.
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
import { EventFeed, metricsOf } from '../lib/event-feed';
import { dateTime, relative } from '../lib/format';
import { jobCharts } from '../lib/job-charts';
import { poll } from '../lib/poll';
import { resolvedTable } from '../lib/resolved';
import { badge, isTerminal, progressCell } from '../lib/status';

const SHOWN_EVENTS = 300;

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
    const messages = feed.events.filter((e) => e.type !== 'metrics');
    const metricCount = feed.events.length - messages.length;
    const shown = messages.slice(-SHOWN_EVENTS).reverse();
    fill(
      events,
      h('h2', { id: 'ev-h' }, 'Events'),
      h(
        'p',
        { class: 'help' },
        `${messages.length} messages, newest first; ${metricCount} metrics events are drawn in the charts.`,
      ),
      h(
        'ol',
        { class: 'events', reversed: true },
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
  const drawMetrics = (all: typeof feed.events) => {
    performance.mark('tuneplane:charts:start');
    charts.update(metricsOf(all));
    performance.measure('tuneplane:charts', 'tuneplane:charts:start');
  };
  /** The first load of a long job: draw what has come in at most every 150 ms while pages follow. */
  let lastPartial = 0;
  const partial = (soFar: typeof feed.events) => {
    if (!job || performance.now() - lastPartial < 150) return;
    lastPartial = performance.now();
    show();
    drawMetrics(soFar);
  };

  const refresh = async () => {
    const [j, fresh, cpList] = await Promise.all([
      unwrap(retrieveFineTuningJob({ client: api(), path })).then((x) => {
        job ??= x;
        renderHead();
        renderSummary();
        return x;
      }),
      feed.update(partial),
      unwrap(listFineTuningJobCheckpoints({ client: api(), path, query: { limit: 100 } })),
    ]);
    const statusChanged = renderedStatus !== j.status;
    renderedStatus = j.status;
    job = j;
    if (j.fine_tuned_model && !downloads)
      downloads = await modelDownloads(j.fine_tuned_model).catch(() => null);
    if (statusChanged) renderHead();
    renderSummary();
    if (fresh.length || !root.contains(charts.element)) {
      drawMetrics(feed.events);
      renderEvents();
    }
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
