/**
 * Early stopping on an evaluation metric: training stops after `patience` evaluations in a row
 * that fail to beat the best by at least `min_delta`. The caller keeps the best weights.
 */
import type { ResolvedHyperparameters } from '../../openapi/schemas/hyperparameters';

export interface EarlyStoppingSettings {
  metric: NonNullable<ResolvedHyperparameters['early_stopping']>['metric'];
  patience: number;
  min_delta: number;
  restore_best: boolean;
}

export interface EarlyStoppingState {
  best: number | null;
  bestStep: number | null;
  bad: number;
}

export function higherIsBetter(metric: string): boolean {
  return metric === 'accuracy' || metric.endsWith('accuracy');
}

export class EarlyStopping {
  state: EarlyStoppingState = { best: null, bestStep: null, bad: 0 };

  constructor(readonly settings: EarlyStoppingSettings) {}

  /** Returns whether this evaluation is the new best. */
  observe(value: number, step: number): { improved: boolean; stop: boolean } {
    const s = this.state;
    const up = higherIsBetter(this.settings.metric);
    const gain = s.best === null ? Infinity : up ? value - s.best : s.best - value;
    if (s.best === null || (gain >= this.settings.min_delta && gain > 0)) {
      s.best = value;
      s.bestStep = step;
      s.bad = 0;
      return { improved: true, stop: false };
    }
    s.bad++;
    return { improved: false, stop: s.bad >= this.settings.patience };
  }
}
