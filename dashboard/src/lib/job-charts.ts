/**
 * The job page's charts: loss (train with smoothing, validation), token accuracy, learning rate and
 * gradient norm, all against the step, with a dashed marker where each epoch begins.
 */
import { lineChart, smooth, COLORS, type LineChart, type Marker } from '../charts/line';
import { h } from './dom';
import type { MetricsPoint } from './event-feed';

const col = (points: MetricsPoint[], key: string): (number | null)[] =>
  points.map((p) => (typeof p[key] === 'number' && Number.isFinite(p[key]) ? p[key] : null));
const has = (points: MetricsPoint[], key: string) => points.some((p) => typeof p[key] === 'number');

/** A marker at the first step of each epoch after the first (the trainer reports `epoch` from 1). */
function epochMarkers(points: MetricsPoint[]): Marker[] {
  const out: Marker[] = [];
  let prev: number | undefined;
  for (const p of points) {
    if (typeof p.epoch !== 'number') continue;
    const e = Math.floor(p.epoch);
    if (prev !== undefined && e > prev) out.push({ x: p.step, label: `epoch ${e}` });
    prev = e;
  }
  return out;
}

export interface JobCharts {
  element: HTMLElement;
  update(points: MetricsPoint[]): void;
  destroy(): void;
}

export function jobCharts(): JobCharts {
  const smoothing = h('input', {
    id: 'smoothing',
    type: 'range',
    min: '0',
    max: '0.99',
    step: '0.01',
    value: '0.6',
  });
  const smoothingOut = h('output', { attrs: { for: 'smoothing' } }, '0.6');
  const logScale = h('input', { id: 'log-scale', type: 'checkbox' });
  const loss = lineChart({
    title: 'Loss',
    xLabel: 'step',
    series: [
      { label: 'train (raw)', color: 'rgba(37,99,235,0.25)', width: 1 },
      { label: 'train', color: COLORS[0], width: 2 },
      { label: 'valid', color: COLORS[1], sparse: true, width: 2 },
      { label: 'full valid', color: COLORS[3], sparse: true, width: 2, dash: [6, 3] },
    ],
    empty: 'No metrics yet: the chart draws as the trainer reports.',
  });
  const accuracy = lineChart({
    title: 'Token accuracy',
    xLabel: 'step',
    series: [
      { label: 'train', color: COLORS[0], width: 1.5 },
      { label: 'valid', color: COLORS[1], sparse: true },
      { label: 'full valid', color: COLORS[3], sparse: true, dash: [6, 3] },
      { label: 'accuracy (classification)', color: COLORS[2], sparse: true },
    ],
    height: 200,
  });
  const lr = lineChart({
    title: 'Learning rate',
    xLabel: 'step',
    series: [{ label: 'lr', color: COLORS[4] }],
    height: 160,
  });
  const grad = lineChart({
    title: 'Gradient norm',
    xLabel: 'step',
    series: [{ label: 'grad norm', color: COLORS[5] }],
    height: 160,
  });
  let points: MetricsPoint[] = [];

  const draw = () => {
    const x = points.map((p) => p.step);
    const markers = epochMarkers(points);
    const train = col(points, 'train_loss');
    loss.setData(
      x,
      [
        train,
        smooth(train, Number(smoothing.value)),
        col(points, 'valid_loss'),
        col(points, 'full_valid_loss'),
      ],
      markers,
    );
    accuracy.setData(
      has(points, 'train_mean_token_accuracy') || has(points, 'accuracy') ? x : [],
      [
        col(points, 'train_mean_token_accuracy'),
        col(points, 'valid_mean_token_accuracy'),
        col(points, 'full_valid_mean_token_accuracy'),
        col(points, 'accuracy'),
      ],
      markers,
    );
    lr.setData(has(points, 'lr') ? x : [], [col(points, 'lr')], markers);
    grad.setData(has(points, 'grad_norm') ? x : [], [col(points, 'grad_norm')], markers);
  };

  smoothing.addEventListener('input', () => {
    smoothingOut.textContent = smoothing.value;
    draw();
  });
  logScale.addEventListener('change', () => loss.setLog(logScale.checked));

  const element = h(
    'section',
    { class: 'charts', attrs: { 'aria-label': 'Training metrics' } },
    h(
      'div',
      { class: 'chart-controls' },
      h('label', { attrs: { for: 'smoothing' } }, 'Smoothing '),
      smoothing,
      smoothingOut,
      h('label', null, logScale, ' log scale (loss)'),
    ),
    loss.element,
    h('div', { class: 'chart-row' }, accuracy.element, h('div', null, lr.element, grad.element)),
  );
  return {
    element,
    update(p) {
      points = p;
      draw();
    },
    destroy() {
      for (const c of [loss, accuracy, lr, grad] as LineChart[]) c.destroy();
    },
  };
}
