/** A small element builder: the dashboard renders with the DOM directly (no framework to ship). */
export type Child = Node | string | number | null | undefined | false | Child[];

type Handler = (ev: Event) => void;
export interface Props {
  class?: string;
  /** Attributes set with setAttribute (aria-*, role, for, title, type, …). */
  attrs?: Record<string, string | number | boolean | null | undefined>;
  on?: Record<string, Handler>;
  [prop: string]: unknown;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined) continue;
      if (k === 'class') el.className = v as string;
      else if (k === 'attrs') {
        for (const [a, av] of Object.entries(v as Props['attrs'] & object)) {
          if (av === false || av === null || av === undefined) continue;
          el.setAttribute(a, av === true ? '' : String(av));
        }
      } else if (k === 'on') {
        for (const [ev, fn] of Object.entries(v as Record<string, Handler>)) el.addEventListener(ev, fn);
      } else (el as unknown as Record<string, unknown>)[k] = v;
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A table with a header row; `cells` returns one row's cells. */
export function table<T>(
  headers: (string | Node)[],
  rows: T[],
  cells: (row: T) => Child[],
  opts: { caption?: string; rowProps?: (row: T) => Props } = {},
): HTMLTableElement {
  return h(
    'table',
    null,
    opts.caption ? h('caption', null, opts.caption) : null,
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        headers.map((x) => h('th', { attrs: { scope: 'col' } }, x)),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((r) =>
        h(
          'tr',
          opts.rowProps?.(r) ?? null,
          cells(r).map((c) => h('td', null, c)),
        ),
      ),
    ),
  );
}

/** A button that disables itself while its action runs and shows the action's error beside it. */
export function actionButton(
  label: string,
  action: () => Promise<unknown>,
  props: Props = {},
): HTMLButtonElement {
  const btn: HTMLButtonElement = h(
    'button',
    {
      type: 'button',
      ...props,
      on: {
        click: async () => {
          btn.disabled = true;
          // A new attempt: the last one's message no longer applies.
          clearFlash();
          try {
            await action();
          } catch (err) {
            showError(err);
          } finally {
            btn.disabled = false;
          }
        },
      },
    },
    label,
  );
  return btn;
}

/** The page-wide message area (role=alert so screen readers announce it). */
export function showError(err: unknown): void {
  const box = document.getElementById('flash');
  if (!box) return;
  fill(box, h('p', { class: 'error' }, err instanceof Error ? err.message : String(err)));
}

export function showNotice(text: string): void {
  const box = document.getElementById('flash');
  if (box) fill(box, h('p', { class: 'notice' }, text));
}

export function clearFlash(): void {
  document.getElementById('flash')?.replaceChildren();
}

/** A horizontally scrollable box for a wide table, reachable by keyboard (a named region). */
export function tableWrap(label: string, ...children: Child[]): HTMLDivElement {
  return h(
    'div',
    { class: 'table-wrap', tabIndex: 0, attrs: { role: 'region', 'aria-label': label } },
    ...children,
  );
}
