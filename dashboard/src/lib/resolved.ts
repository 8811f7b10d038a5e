/** A resolved hyperparameter set as a table: value, the schema's help text, and why `auto` chose it. */
import { h, table } from './dom';
import { value } from './format';
import { hyperparameterHelp } from './schema';

export function resolvedTable(
  resolved: Record<string, unknown>,
  explanations: Record<string, string>,
  caption: string,
): HTMLTableElement {
  const rows = Object.entries(resolved);
  return table(
    ['Hyperparameter', 'Value', 'What it does', 'Why this value'],
    rows,
    ([k, v]) => [
      h('code', null, k),
      h('code', null, value(v)),
      h(
        'span',
        { class: 'help' },
        hyperparameterHelp(k) ||
          (k === 'seed'
            ? 'Seed of the run: sampling order, dropout masks and fresh weights derive from it.'
            : ''),
      ),
      h(
        'span',
        { class: 'why' },
        explanations[k] ?? h('span', { class: 'muted' }, 'as requested or the default'),
      ),
    ],
    { caption },
  );
}
