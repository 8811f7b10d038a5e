/** Status badges; the status names and the terminal set are the contract's (openapi/enums.ts). */
import type { FineTuningJob } from '../../../openapi/sdk/types.gen';
import { h } from './dom';

export { JOB_STATUSES, isTerminalJobStatus as isTerminal } from '../../../openapi/enums';

export function badge(status: string): HTMLElement {
  return h('span', { class: `badge s-${status}` }, status.replace(/_/g, ' '));
}

export function progressCell(job: Pick<FineTuningJob, 'progress' | 'status'>): HTMLElement {
  const p = job.progress;
  if (!p || !p.total_steps) return h('span', { class: 'muted' }, job.status === 'succeeded' ? 'done' : '–');
  const pct = Math.min(100, (100 * p.step) / p.total_steps);
  return h(
    'span',
    { class: 'progress' },
    h('progress', {
      max: p.total_steps,
      value: p.step,
      attrs: { 'aria-label': `step ${p.step} of ${p.total_steps}` },
    }),
    ` ${Math.round(pct)}% · step ${p.step}/${p.total_steps}`,
  );
}
