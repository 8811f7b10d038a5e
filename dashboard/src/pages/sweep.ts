/**
 * A sweep: its configuration and best trial, the trials table (sortable; pruned trials show the
 * step they stopped at), best-so-far history, every trial's learning curve overlaid, and the
 * parallel-coordinates view of hyperparameters against the objective.
 */
import type { FineTuningSweep, FineTuningSweepTrial } from '../../../openapi/sdk/types.gen';
import {
  cancelFineTuningSweep,
  listFineTuningSweepTrials,
  retrieveFineTuningSweep,
} from '../../../openapi/sdk/sdk.gen';
import { COLORS, lineChart } from '../charts/line';
import { parallelCoordinates } from '../charts/parallel';
import { api, unwrap } from '../lib/api';
import { actionButton, fill, h, showError, tableWrap } from '../lib/dom';
import { dateTime, num, value } from '../lib/format';
import { poll } from '../lib/poll';
import { badge } from '../lib/status';
import { objectiveName } from './sweeps';

async function allTrials(id: string): Promise<FineTuningSweepTrial[]> {
  const out: FineTuningSweepTrial[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await unwrap(
      listFineTuningSweepTrials({ client: api(), path: { sweep_id: id }, query: { limit: 100, after } }),
    );
    out.push(...page.data);
    if (!page.has_more || !page.last_id) return out;
    after = page.last_id;
  }
}

const stoppedAt = (t: FineTuningSweepTrial) => t.reports.at(-1)?.step;

function stateCell(t: FineTuningSweepTrial): Node {
  const s = stoppedAt(t);
  return h(
    'span',
    null,
    badge(t.state),
    t.state === 'pruned' && s !== undefined ? h('span', { class: 'small' }, ` at step ${num(s)}`) : null,
  );
}

type SortKey = string;

function trialsTable(
  trials: FineTuningSweepTrial[],
  params: string[],
  goal: string,
  sort: { key: SortKey; dir: 1 | -1 },
  onSort: (k: SortKey) => void,
): HTMLElement {
  const cols: { key: SortKey; label: string; get: (t: FineTuningSweepTrial) => unknown }[] = [
    { key: 'number', label: 'Trial', get: (t) => t.number },
    { key: 'state', label: 'State', get: (t) => t.state },
    { key: 'objective', label: `Objective (${goal})`, get: (t) => t.objective_value },
    ...params.map((p) => ({ key: `p:${p}`, label: p, get: (t: FineTuningSweepTrial) => t.parameters[p] })),
    { key: 'reports', label: 'Last report', get: (t) => stoppedAt(t) ?? null },
    { key: 'created', label: 'Created', get: (t) => t.created_at },
  ];
  const col = cols.find((c) => c.key === sort.key) ?? cols[0];
  const sorted = [...trials].sort((a, b) => {
    const va = col.get(a);
    const vb = col.get(b);
    if (va === null || va === undefined) return 1;
    if (vb === null || vb === undefined) return -1;
    return (
      (typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb))) *
      sort.dir
    );
  });
  return h(
    'table',
    { id: 'trials' },
    h('caption', null, 'Trials (select a column heading to sort)'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        cols.map((c) =>
          h(
            'th',
            {
              attrs: {
                scope: 'col',
                'aria-sort': c.key === sort.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none',
              },
            },
            h(
              'button',
              { type: 'button', class: 'sort', on: { click: () => onSort(c.key) } },
              c.label,
              c.key === sort.key ? (sort.dir === 1 ? ' ▲' : ' ▼') : '',
            ),
          ),
        ),
      ),
    ),
    h(
      'tbody',
      null,
      sorted.map((t) =>
        h(
          'tr',
          { class: t.state === 'pruned' ? 'pruned' : '' },
          h('td', null, h('a', { href: `#/jobs/${t.id}` }, `#${t.number}`)),
          h('td', null, stateCell(t)),
          h('td', null, num(t.objective_value)),
          params.map((p) => h('td', null, value(t.parameters[p]))),
          h('td', null, num(stoppedAt(t))),
          h('td', null, dateTime(t.created_at)),
        ),
      ),
    ),
  );
}

export function sweepPage(root: HTMLElement, params: Record<string, string>): () => void {
  const id = params.id;
  const top = h('div');
  const tableBox = tableWrap('Trials');
  const best = lineChart({
    title: 'Best so far',
    xLabel: 'trial',
    series: [
      { label: 'trial objective', color: COLORS[7], sparse: true, width: 0 },
      { label: 'best so far', color: COLORS[0], width: 2 },
    ],
    height: 220,
    empty: 'No finished trial yet.',
  });
  let curves: ReturnType<typeof lineChart> | undefined;
  const curvesBox = h('div');
  const parallelBox = h('div');
  let sweep: FineTuningSweep | undefined;
  let trials: FineTuningSweepTrial[] = [];
  let sort: { key: SortKey; dir: 1 | -1 } = { key: 'number', dir: 1 };
  let curveCount = -1;

  const paramNames = () => Object.keys(sweep?.search_space ?? {});
  const renderTable = () => {
    if (!sweep) return;
    fill(
      tableBox,
      trialsTable(trials, paramNames(), sweep.objective.goal, sort, (k) => {
        sort = { key: k, dir: sort.key === k ? (-sort.dir as 1 | -1) : 1 };
        renderTable();
        tableBox
          .querySelector<HTMLButtonElement>(
            `th[aria-sort="${sort.dir === 1 ? 'ascending' : 'descending'}"] button`,
          )
          ?.focus();
      }),
    );
  };

  const render = () => {
    if (!sweep) return;
    const s = sweep;
    const goal = s.objective.goal;
    fill(
      top,
      h(
        'div',
        { class: 'page-head' },
        h('h1', null, 'Sweep ', h('code', null, s.id), ' ', badge(s.status)),
        s.status === 'running' || s.status === 'paused'
          ? actionButton(
              'Cancel sweep',
              async () => {
                sweep = await unwrap(cancelFineTuningSweep({ client: api(), path: { sweep_id: id } }));
                render();
              },
              { class: 'danger' },
            )
          : null,
      ),
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, 'Objective'),
        h('dd', null, `${goal} ${objectiveName(s.objective)}`),
        h('dt', null, 'Strategy'),
        h('dd', null, s.strategy.type),
        h('dt', null, 'Early stopping'),
        h('dd', null, s.early_stopping.type),
        h('dt', null, 'Trials'),
        h(
          'dd',
          null,
          Object.entries(s.trial_counts)
            .map(([k, v]) => `${k} ${v}`)
            .join(' · '),
        ),
        s.status_reason ? [h('dt', null, 'Ended because'), h('dd', null, s.status_reason)] : null,
        h('dt', null, 'Best trial'),
        h(
          'dd',
          null,
          s.best_trial
            ? [
                h(
                  'a',
                  { href: `#/jobs/${s.best_trial.fine_tuning_job_id}` },
                  `#${s.best_trial.trial_number}`,
                ),
                ` ${objectiveName(s.objective)} = ${num(s.best_trial.objective_value)} · `,
                Object.entries(s.best_trial.parameters)
                  .map(([k, v]) => `${k}=${value(v)}`)
                  .join(', '),
              ]
            : '–',
        ),
        h('dt', null, 'Created'),
        h('dd', null, dateTime(s.created_at)),
      ),
    );
    renderTable();

    const done = trials.filter((t) => t.objective_value !== null).sort((a, b) => a.number - b.number);
    let bestSoFar: number | null = null;
    best.setData(
      done.map((t) => t.number),
      [
        done.map((t) => t.objective_value),
        done.map((t) => {
          const v = t.objective_value!;
          bestSoFar =
            bestSoFar === null ? v : goal === 'minimize' ? Math.min(bestSoFar, v) : Math.max(bestSoFar, v);
          return bestSoFar;
        }),
      ],
    );

    // Curves: one series per trial; the chart is rebuilt when a trial appears.
    const steps = [...new Set(trials.flatMap((t) => t.reports.map((r) => r.step)))].sort((a, b) => a - b);
    if (trials.length !== curveCount) {
      curves?.destroy();
      curves = lineChart({
        title: `Learning curves: ${objectiveName(s.objective)} at each report`,
        xLabel: s.early_stopping.type === 'none' ? 'step' : 'resource',
        series: trials.map((t, i) => ({
          label: `#${t.number}${t.state === 'pruned' ? ' (pruned)' : ''}`,
          color: COLORS[i % COLORS.length],
          sparse: true,
          dash: t.state === 'pruned' ? [5, 4] : undefined,
        })),
        height: 260,
        empty: 'No trial has reported yet.',
      });
      fill(curvesBox, curves.element);
      curveCount = trials.length;
    }
    const index = new Map(steps.map((st, i) => [st, i]));
    curves!.setData(
      steps,
      trials.map((t) => {
        const ys: (number | null)[] = steps.map(() => null);
        for (const r of t.reports) ys[index.get(r.step)!] = r.value;
        return ys;
      }),
    );
    fill(
      parallelBox,
      trials.length
        ? parallelCoordinates({
            params: paramNames(),
            objective: objectiveName(s.objective),
            goal,
            rows: trials.map((t) => ({
              label: `trial #${t.number}`,
              values: t.parameters,
              objective: t.objective_value,
              muted: t.state === 'pruned',
            })),
          })
        : null,
    );
  };

  const refresh = async () => {
    const [s, t] = await Promise.all([
      unwrap(retrieveFineTuningSweep({ client: api(), path: { sweep_id: id } })),
      allTrials(id),
    ]);
    sweep = s;
    trials = t;
    render();
    return s.status === 'running' || s.status === 'paused';
  };

  fill(root, h('p', { class: 'muted' }, 'Loading…'));
  let stop = () => {};
  let gone = false;
  refresh()
    .then((more) => {
      if (gone) return;
      fill(
        root,
        top,
        h('h2', null, 'Trials'),
        tableBox,
        h('div', { class: 'chart-row' }, best.element, curvesBox),
        h('h2', null, 'Hyperparameters vs objective'),
        parallelBox,
      );
      render();
      root.dataset.ready = 'true';
      if (more) stop = poll(refresh, 3000);
    })
    .catch(showError);
  return () => {
    gone = true;
    stop();
    best.destroy();
    curves?.destroy();
  };
}
