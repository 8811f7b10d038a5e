/**
 * Parallel coordinates in SVG: one vertical axis per hyperparameter and one for the objective, one
 * polyline per trial coloured by its objective (best dark, worst light). Numeric axes spanning more
 * than two decades are log-scaled; categorical axes space their values evenly.
 */
import { h } from '../lib/dom';
import { num } from '../lib/format';

const NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export interface ParallelRow {
  label: string;
  values: Record<string, unknown>;
  objective: number | null;
  /** Drawn dashed (e.g. a pruned trial). */
  muted?: boolean;
}

interface Axis {
  name: string;
  pos: (v: unknown) => number | null;
  ticks: { at: number; label: string }[];
}

function axisFor(name: string, values: unknown[]): Axis {
  const nums = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (nums.length && nums.length === values.filter((v) => v !== undefined && v !== null).length) {
    let lo = Math.min(...nums);
    let hi = Math.max(...nums);
    const log = lo > 0 && hi / lo > 100;
    const f = (v: number) => (log ? Math.log10(v) : v);
    if (lo === hi) {
      lo = lo - 1;
      hi = hi + 1;
    }
    const pos = (v: unknown) => (typeof v === 'number' ? (f(v) - f(lo)) / (f(hi) - f(lo) || 1) : null);
    return {
      name,
      pos,
      ticks: [0, 0.5, 1].map((t) => ({
        at: t,
        label: num(log ? 10 ** (f(lo) + t * (f(hi) - f(lo))) : lo + t * (hi - lo)),
      })),
    };
  }
  const cats = [...new Set(values.filter((v) => v !== undefined && v !== null).map(String))].sort();
  const pos = (v: unknown) =>
    v === undefined || v === null
      ? null
      : cats.length === 1
        ? 0.5
        : cats.indexOf(String(v)) / (cats.length - 1);
  return {
    name,
    pos,
    ticks: cats.map((c, i) => ({ at: cats.length === 1 ? 0.5 : i / (cats.length - 1), label: c })),
  };
}

export function parallelCoordinates(opts: {
  params: string[];
  objective: string;
  goal: 'minimize' | 'maximize';
  rows: ParallelRow[];
}): HTMLElement {
  const W = 760;
  const H = 300;
  const pad = { top: 30, bottom: 30, left: 50, right: 70 };
  const names = [...opts.params, opts.objective];
  const axes = names.map((n, i) =>
    axisFor(
      n,
      opts.rows.map((r) => (i === names.length - 1 ? r.objective : r.values[n])),
    ),
  );
  const x = (i: number) => pad.left + (i * (W - pad.left - pad.right)) / Math.max(1, names.length - 1);
  const y = (t: number) => pad.top + (1 - t) * (H - pad.top - pad.bottom);
  const objs = opts.rows.map((r) => r.objective).filter((v): v is number => v !== null);
  const [lo, hi] = [Math.min(...objs), Math.max(...objs)];
  const quality = (v: number | null) =>
    v === null || hi === lo ? 0.5 : opts.goal === 'minimize' ? (hi - v) / (hi - lo) : (v - lo) / (hi - lo);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'parallel' });
  root.append(
    svg('title', {}, `Parallel coordinates of ${opts.params.join(', ')} against ${opts.objective}`),
  );
  for (const r of opts.rows) {
    const pts: string[] = [];
    axes.forEach((a, i) => {
      const t = a.pos(i === axes.length - 1 ? r.objective : r.values[a.name]);
      if (t !== null) pts.push(`${x(i).toFixed(1)},${y(t).toFixed(1)}`);
    });
    const q = quality(r.objective);
    const line = svg('polyline', {
      points: pts.join(' '),
      fill: 'none',
      stroke: r.objective === null ? '#94a3b8' : `hsl(220, 80%, ${Math.round(75 - 45 * q)}%)`,
      'stroke-width': r.objective !== null && q === 1 ? 3 : 1.5,
      'stroke-dasharray': r.muted ? '5 4' : '',
      opacity: 0.9,
    });
    line.append(svg('title', {}, `${r.label}: ${opts.objective} ${num(r.objective)}`));
    root.append(line);
  }
  axes.forEach((a, i) => {
    root.append(
      svg('line', { x1: x(i), x2: x(i), y1: y(0), y2: y(1), stroke: '#334155', 'stroke-width': 1 }),
    );
    root.append(svg('text', { x: x(i), y: 16, 'text-anchor': 'middle', class: 'axis-name' }, a.name));
    for (const t of a.ticks)
      root.append(svg('text', { x: x(i) + 5, y: y(t.at) + 4, class: 'tick' }, t.label));
  });
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', null, 'Hyperparameters against the objective (darker = better; dashed = pruned)'),
    root as unknown as HTMLElement,
  );
}
