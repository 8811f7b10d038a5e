/** Sweeps list: status, objective, trial counts and the best trial so far. */
import { listFineTuningSweeps } from '../../../openapi/sdk/sdk.gen';
import type { SweepObjective } from '../../../openapi/sdk/types.gen';
import { api, unwrap } from '../lib/api';
import { fill, h, showError, table, tableWrap } from '../lib/dom';
import { dateTime, num } from '../lib/format';
import { poll } from '../lib/poll';
import { badge } from '../lib/status';

export function sweepsPage(root: HTMLElement): () => void {
  const body = tableWrap('Sweeps', h('p', { class: 'muted' }, 'Loading…'));
  fill(
    root,
    h('h1', null, 'Sweeps'),
    h(
      'p',
      { class: 'help' },
      'Create a sweep with the API or `tuneplane sweeps create --config @sweep.json`; every trial is an ordinary job.',
    ),
    body,
  );
  const load = async () => {
    const page = await unwrap(listFineTuningSweeps({ client: api(), query: { limit: 100 } }));
    fill(
      body,
      page.data.length === 0
        ? h('p', { class: 'empty' }, 'No sweeps yet.')
        : table(
            ['Sweep', 'Status', 'Objective', 'Strategy', 'Trials', 'Best', 'Created'],
            page.data,
            (s) => [
              h('a', { href: `#/sweeps/${s.id}` }, s.id),
              badge(s.status),
              `${s.objective.goal} ${objectiveName(s.objective)}`,
              s.strategy.type,
              `${s.trial_counts.total} (${s.trial_counts.complete} complete, ${s.trial_counts.pruned} pruned, ${s.trial_counts.running + s.trial_counts.pending} running)`,
              s.best_trial
                ? `${num(s.best_trial.objective_value)} (trial ${s.best_trial.trial_number})`
                : '–',
              dateTime(s.created_at),
            ],
            { caption: 'Hyperparameter sweeps, newest first' },
          ),
    );
  };
  load().catch(showError);
  return poll(load, 5000);
}

/** What a sweep optimises, in words: its metric, or an eval criterion's pass rate. */
export function objectiveName(o: SweepObjective): string {
  return o.type === 'eval' ? `${o.testing_criteria ?? 'eval'} pass rate` : o.metric;
}
