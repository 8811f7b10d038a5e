/**
 * The job page's charts: loss (train with smoothing, validation), token accuracy, learning rate and
 * gradient norm, all against the step, with a dashed marker where each epoch begins.
 */
import { lineChart, smooth, COLORS, type LineChart, type Marker } from '../charts/line';
import { h } from './dom';
import type { MetricsColumns } from './metrics-feed';

const has = (values: (number | null)[]) => values.some((v) => v !== null);

/** A marker at the first step of each epoch after the first (the trainer reports `epoch` from 1). */
function epochMarkers(c: MetricsColumns): Marker[] {
  const out: Marker[] = [];
  let prev: number | undefined;
  c.metrics.epoch.forEach((epoch, i) => {
    if (epoch === null) return;
    const e = Math.floor(epoch);
    if (prev !== undefined && e > prev) out.push({ x: c.step[i], label: `epoch ${e}` });
    prev = e;
  });
  return out;
}

export interface JobCharts {
  element: HTMLElement;
  update(columns: MetricsColumns): void;
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
  let columns: MetricsColumns | undefined;

  const draw = () => {
    if (!columns) return;
    const { step: x, metrics: m } = columns;
    const markers = epochMarkers(columns);
    loss.setData(
      x,
      [m.train_loss, smooth(m.train_loss, Number(smoothing.value)), m.valid_loss, m.full_valid_loss],
      markers,
    );
    accuracy.setData(
      has(m.train_mean_token_accuracy) || has(m.accuracy) ? x : [],
      [
        m.train_mean_token_accuracy,
        m.valid_mean_token_accuracy,
        m.full_valid_mean_token_accuracy,
        m.accuracy,
      ],
      markers,
    );
    lr.setData(has(m.lr) ? x : [], [m.lr], markers);
    grad.setData(has(m.grad_norm) ? x : [], [m.grad_norm], markers);
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
    update(c) {
      columns = c;
      draw();
    },
    destroy() {
      for (const c of [loss, accuracy, lr, grad] as LineChart[]) c.destroy();
    },
  };
}
