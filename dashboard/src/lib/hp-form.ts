/**
 * The hyperparameter form, generated from the contract's `Hyperparameters` schema: one input per
 * field with the schema's description as help text and its range as the rule. Empty means
 * "omitted" (the API resolves it: `auto` or the default), so the request carries only what the
 * user set.
 */
import { h, type Child } from './dom';
import { fieldsOf, ruleText, schema, type Field } from './schema';

export interface HpForm {
  element: HTMLElement;
  /** The hyperparameters the user set, as the API takes them. */
  value(): Record<string, unknown>;
  /** Marks the field a 400 named (`method.supervised.hyperparameters.<path>`); false when none matched. */
  markError(param: string | null, message: string): boolean;
  clearErrors(): void;
  onChange(fn: () => void): void;
}

interface Control {
  path: string;
  read(): unknown;
  input: HTMLElement;
  errorEl: HTMLElement;
}

const idOf = (path: string) => `hp-${path.replace(/\./g, '-')}`;

function parseNumberish(raw: string, f: Extract<Field, { kind: 'number' }>): unknown {
  const v = raw.trim();
  if (v === '') return undefined;
  if (f.auto && v.toLowerCase() === 'auto') return 'auto';
  if (f.nullable && /^(none|null)$/i.test(v)) return null;
  const n = Number(v);
  // Not a number: sent as typed, so the API's 400 names the field and the rule.
  return Number.isFinite(n) ? n : v;
}

function parseSteps(raw: string): unknown {
  const v = raw.trim();
  if (!v) return undefined;
  return v
    .split(/[,;\s]+/)
    .filter(Boolean)
    .map((pair) => {
      const [step, batch] = pair.split(':').map((x) => Number(x));
      return { step, batch_size: batch };
    });
}

export function hyperparameterForm(): HpForm {
  const controls: Control[] = [];
  const listeners: (() => void)[] = [];
  const changed = () => listeners.forEach((fn) => fn());

  const fieldRow = (f: Field, prefix: string): Child => {
    const path = prefix ? `${prefix}.${f.name}` : f.name;
    const id = idOf(path);
    const helpId = `${id}-help`;
    const errorEl = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
    const describedBy = `${helpId} ${id}-error`;
    if (f.kind === 'object') {
      const sub = f.fields.map((x) => fieldRow(x, path));
      const enable = h('input', {
        type: 'checkbox',
        id: `${id}-on`,
        on: { change: () => ((box.disabled = !enable.checked), changed()) },
      });
      const box = h('fieldset', { class: 'nested', disabled: true }, sub);
      controls.push({ path: `${path}.__enabled`, read: () => enable.checked, input: enable, errorEl });
      return h(
        'div',
        { class: 'field object-field' },
        h('label', { attrs: { for: enable.id } }, enable, ` ${f.name}`),
        h(
          'p',
          { class: 'help', id: helpId },
          f.help,
          f.nullable ? ' Leave unticked for none.' : ' Leave unticked for the defaults.',
        ),
        errorEl,
        box,
      );
    }
    let input: HTMLInputElement | HTMLSelectElement;
    let read: () => unknown;
    if (f.kind === 'enum') {
      const sel = h(
        'select',
        { id },
        h('option', { value: '' }, f.defaultValue ? `default (${f.defaultValue})` : 'default'),
        f.options.map((o) => h('option', { value: o }, o)),
      );
      read = () => sel.value || undefined;
      input = sel;
    } else if (f.kind === 'boolean') {
      const sel = h(
        'select',
        { id },
        h('option', { value: '' }, f.defaultValue === undefined ? 'default' : `default (${f.defaultValue})`),
        h('option', { value: 'true' }, 'true'),
        h('option', { value: 'false' }, 'false'),
      );
      read = () => (sel.value === '' ? undefined : sel.value === 'true');
      input = sel;
    } else {
      const placeholder =
        f.kind === 'number'
          ? f.auto
            ? 'auto'
            : 'default'
          : f.kind === 'steps'
            ? 'e.g. 0:8, 200:16'
            : (f.defaultValue ?? '');
      const inp = h('input', {
        id,
        type: 'text',
        placeholder,
        autocomplete: 'off',
        attrs: { inputmode: f.kind === 'number' ? 'decimal' : null, spellcheck: 'false' },
      });
      read = () =>
        f.kind === 'number'
          ? parseNumberish(inp.value, f)
          : f.kind === 'steps'
            ? parseSteps(inp.value)
            : inp.value.trim() || undefined;
      input = inp;
    }
    input.setAttribute('aria-describedby', describedBy);
    input.addEventListener('change', changed);
    input.addEventListener('input', changed);
    controls.push({ path, read, input, errorEl });
    return h(
      'div',
      { class: 'field' },
      h('label', { attrs: { for: id } }, h('code', null, f.name)),
      input,
      h('p', { class: 'help', id: helpId }, f.help, ' ', h('span', { class: 'rule' }, ruleText(f))),
      errorEl,
    );
  };

  const element = h(
    'fieldset',
    { class: 'hyperparameters' },
    h('legend', null, 'Hyperparameters'),
    h(
      'p',
      { class: 'help' },
      'Leave a field empty to let the API choose (auto or the default); the estimate shows every resolved value and why.',
    ),
    h(
      'div',
      { class: 'fields' },
      fieldsOf(schema('Hyperparameters')).map((f) => fieldRow(f, '')),
    ),
  );

  const value = () => {
    const out: Record<string, unknown> = {};
    const enabled = new Set(
      controls
        .filter((c) => c.path.endsWith('.__enabled') && c.read())
        .map((c) => c.path.replace(/\.__enabled$/, '')),
    );
    for (const c of controls) {
      if (c.path.endsWith('.__enabled')) continue;
      const parts = c.path.split('.');
      if (parts.length > 1 && !enabled.has(parts.slice(0, -1).join('.'))) continue;
      const v = c.read();
      if (v === undefined) continue;
      let target = out;
      for (const p of parts.slice(0, -1)) target = (target[p] ??= {}) as Record<string, unknown>;
      target[parts.at(-1)!] = v;
    }
    for (const path of enabled) {
      if (!(path in out)) out[path] = {};
    }
    return out;
  };

  const clearErrors = () => {
    for (const c of controls) {
      c.errorEl.hidden = true;
      c.input.removeAttribute('aria-invalid');
    }
  };

  const markError = (param: string | null, message: string) => {
    const path = param?.replace(/^(method\.supervised\.)?hyperparameters\./, '');
    if (!path) return false;
    const c =
      controls.find((x) => x.path === path) ??
      controls.find(
        (x) => path.startsWith(`${x.path}.`) || path.startsWith(`${x.path.replace(/\.__enabled$/, '')}`),
      );
    if (!c) return false;
    c.errorEl.textContent = message;
    c.errorEl.hidden = false;
    c.input.setAttribute('aria-invalid', 'true');
    c.input.focus();
    return true;
  };

  return { element, value, markError, clearErrors, onChange: (fn) => listeners.push(fn) };
}
