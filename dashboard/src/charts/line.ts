/**
 * Line charts on uPlot (canvas, ~20 KB gzipped, draws 10,000s of points in a few ms): shared x
 * (step), optional log-scaled y, vertical markers (epoch boundaries) and a legend that follows the
 * cursor. Data is replaced in place on live updates; the scale type is a rebuild.
 */
import uPlot from 'uplot';
import { h } from '../lib/dom';
import { num } from '../lib/format';

export interface SeriesSpec {
  label: string;
  color: string;
  width?: number;
  /** Sparse series (evaluations): draw points and join across gaps. */
  sparse?: boolean;
  dash?: number[];
}

export interface Marker {
  x: number;
  label: string;
}

export interface LineChart {
  element: HTMLElement;
  setData(x: number[], ys: (number | null)[][], markers?: Marker[]): void;
  setLog(log: boolean): void;
  destroy(): void;
}

export const COLORS = [
  '#2563eb',
  '#dc2626',
  '#059669',
  '#d97706',
  '#7c3aed',
  '#0891b2',
  '#db2777',
  '#4b5563',
];

export function lineChart(opts: {
  title: string;
  xLabel: string;
  yLabel?: string;
  series: SeriesSpec[];
  log?: boolean;
  height?: number;
  /** Points on the x axis: an empty chart says so instead of drawing blank axes. */
  empty?: string;
}): LineChart {
  const holder = h('div', { class: 'chart-canvas' });
  const emptyNote = h('p', { class: 'muted chart-empty', hidden: true }, opts.empty ?? 'No data yet.');
  const element = h('figure', { class: 'chart' }, h('figcaption', null, opts.title), emptyNote, holder);
  let log = opts.log ?? false;
  let data: uPlot.AlignedData = [[], ...opts.series.map(() => [])];
  let markers: Marker[] = [];
  let plot: uPlot | undefined;

  const drawMarkers = (u: uPlot) => {
    if (!markers.length) return;
    const { ctx } = u;
    const { top, height } = u.bbox;
    ctx.save();
    ctx.strokeStyle = 'rgba(100,116,139,0.6)';
    ctx.fillStyle = '#475569';
    ctx.setLineDash([4, 4]);
    ctx.lineWidth = 1;
    ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
    for (const m of markers) {
      const x = Math.round(u.valToPos(m.x, 'x', true));
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.fillText(m.label, x + 3 * devicePixelRatio, top + 12 * devicePixelRatio);
    }
    ctx.restore();
  };

  const build = () => {
    plot?.destroy();
    const width = Math.max(280, holder.clientWidth || element.clientWidth || 600);
    plot = new uPlot(
      {
        width,
        height: opts.height ?? 240,
        scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
        axes: [
          // Steps and trial numbers are whole: no tick at 0.5.
          {
            label: opts.xLabel,
            size: 40,
            incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 1e5, 1e6],
          },
          { label: opts.yLabel, size: 60, values: (_u, vals) => vals.map((v) => num(v)) },
        ],
        legend: { live: true },
        cursor: { drag: { x: true, y: false } },
        series: [
          { label: opts.xLabel, value: (_u, v) => (v === null ? '–' : num(v)) },
          ...opts.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: s.width ?? 1.5,
            dash: s.dash,
            spanGaps: s.sparse ?? false,
            points: { show: s.sparse ?? false, size: 5 },
            value: (_u: uPlot, v: number | null) => (v === null ? '–' : num(v)),
          })),
        ],
        hooks: { draw: [drawMarkers] },
      },
      data,
      holder,
    );
  };

  const resize = new ResizeObserver(() => {
    const w = holder.clientWidth;
    if (plot && w && Math.abs(plot.width - w) > 4) plot.setSize({ width: w, height: plot.height });
  });
  resize.observe(holder);
  // The holder has its width once it is in the document; build on the next frame.
  requestAnimationFrame(() => build());

  return {
    element,
    setData(x, ys, m) {
      data = [x, ...ys] as uPlot.AlignedData;
      if (m) markers = m;
      // How many points are drawn, and the last step: what a test or a bench can wait for.
      element.dataset.points = String(x.length);
      element.dataset.lastX = x.length ? String(x[x.length - 1]) : '';
      emptyNote.hidden = x.length > 0;
      holder.hidden = x.length === 0;
      if (plot) plot.setData(data);
      else build();
    },
    setLog(v) {
      if (v === log) return;
      log = v;
      build();
    },
    destroy() {
      resize.disconnect();
      plot?.destroy();
    },
  };
}

/** Exponential moving average with TensorBoard's debiasing: `weight` 0 = raw, 0.99 = very smooth. */
export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values;
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - weight ** n);
  });
}
