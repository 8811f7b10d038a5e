/** A job's checkpoints with their metrics; the best one (by the metric the trainer keeps them by) is marked. */
import type { FineTuningJob, FineTuningJobCheckpoint } from '../../../openapi/sdk/types.gen';
import { checkpointDownload } from './download';
import { h, table, tableWrap } from './dom';
import { jobHyperparameters } from './method';
import { dateTime, num } from './format';

/** The early-stopping metric when set (accuracy: higher is better), else validation loss, else training loss. */
export function bestCheckpoint(
  job: FineTuningJob,
  cps: FineTuningJobCheckpoint[],
): { best?: FineTuningJobCheckpoint; metric?: string } {
  const es = jobHyperparameters(job).early_stopping;
  const candidates = [es?.metric, 'full_valid_loss', 'valid_loss', 'train_loss'].filter(Boolean) as string[];
  const metric = candidates.find((m) => cps.length > 0 && cps.every((c) => typeof c.metrics[m] === 'number'));
  if (!metric) return {};
  const higher = /accuracy/.test(metric);
  const best = cps.reduce((a, b) =>
    (higher ? b.metrics[metric] > a.metrics[metric] : b.metrics[metric] < a.metrics[metric]) ? b : a,
  );
  return { best, metric };
}

export function checkpointsTable(job: FineTuningJob, cps: FineTuningJobCheckpoint[]): HTMLElement {
  if (!cps.length) return h('p', { class: 'empty' }, 'No checkpoints yet.');
  const sorted = [...cps].sort((a, b) => a.step_number - b.step_number);
  const keys = [...new Set(sorted.flatMap((c) => Object.keys(c.metrics)))].filter((k) => k !== 'step').sort();
  const { best, metric } = bestCheckpoint(job, sorted);
  return tableWrap(
    'Checkpoints',
    metric
      ? h('p', { class: 'help' }, `Best by ${metric} (${/accuracy/.test(metric) ? 'highest' : 'lowest'}).`)
      : null,
    table(
      ['Step', ...keys, 'Checkpoint model', 'Created', 'Best', 'Download'],
      sorted,
      (c) => [
        String(c.step_number),
        ...keys.map((k) => num(c.metrics[k])),
        h('code', null, c.fine_tuned_model_checkpoint),
        dateTime(c.created_at),
        c === best ? h('span', { class: 'badge best' }, '★ best') : '',
        checkpointDownload(job.id, c.id, c.step_number),
      ],
      { caption: 'Checkpoints', rowProps: (c) => (c === best ? { class: 'best-row' } : {}) },
    ),
  );
}
