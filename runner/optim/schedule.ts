/**
 * Learning-rate schedules: pure functions of the step (0-based index of the update being applied).
 * Conventions are Hugging Face's `get_*_schedule_with_warmup`, so figures match what users know:
 *  - warm-up (step < W): linear  peak·step/W;  cosine  peak·(1 − cos(π·step/W))/2;
 *  - then constant: peak; linear: peak·(T − step)/(T − W) down to 0; cosine: peak·(1 + cos(π·p))/2,
 *    p = (step − W)/(T − W);
 *  - reduce_on_plateau: warm-up, then the plateau controller's current rate.
 */
export type SchedulerKind = 'constant' | 'linear' | 'cosine' | 'reduce_on_plateau';

export interface ScheduleSettings {
  peak: number;
  scheduler: SchedulerKind;
  warmupSteps: number;
  warmupType: 'linear' | 'cosine';
  totalSteps: number;
}

export function warmupFactor(step: number, warmupSteps: number, type: 'linear' | 'cosine'): number {
  if (step >= warmupSteps) return 1;
  const x = step / warmupSteps;
  return type === 'linear' ? x : (1 - Math.cos(Math.PI * x)) / 2;
}

/** `plateauRate`: the reduce-on-plateau controller's current rate (defaults to the peak). */
export function learningRateAt(step: number, s: ScheduleSettings, plateauRate?: number): number {
  const w = warmupFactor(step, s.warmupSteps, s.warmupType);
  if (step < s.warmupSteps) {
    return w * (s.scheduler === 'reduce_on_plateau' ? (plateauRate ?? s.peak) : s.peak);
  }
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const p = Math.min(1, (step - s.warmupSteps) / span);
  switch (s.scheduler) {
    case 'constant':
      return s.peak;
    case 'linear':
      return s.peak * Math.max(0, 1 - p);
    case 'cosine':
      return (s.peak * (1 + Math.cos(Math.PI * p))) / 2;
    case 'reduce_on_plateau':
      return plateauRate ?? s.peak;
  }
}

export interface PlateauSettings {
  factor: number;
  patience: number;
  min_lr: number;
  threshold: number;
}

export interface PlateauState {
  rate: number;
  best: number | null;
  bad: number;
}

/**
 * Reduce-on-plateau, driven by evaluations (PyTorch's `ReduceLROnPlateau`, relative threshold):
 * an evaluation improves when it beats the best by more than `threshold` (relative); after more than
 * `patience` evaluations without improvement the rate is multiplied by `factor` (not below `min_lr`).
 */
export class PlateauController {
  state: PlateauState;

  constructor(
    private readonly settings: PlateauSettings,
    peak: number,
    private readonly higherIsBetter = false,
  ) {
    this.state = { rate: peak, best: null, bad: 0 };
  }

  get rate(): number {
    return this.state.rate;
  }

  observe(value: number): void {
    const s = this.state;
    const { threshold } = this.settings;
    const better =
      s.best === null ||
      (this.higherIsBetter
        ? value > s.best * (1 + Math.sign(s.best) * threshold)
        : value < s.best * (1 - Math.sign(s.best) * threshold));
    if (better) {
      s.best = value;
      s.bad = 0;
      return;
    }
    s.bad++;
    if (s.bad > this.settings.patience) {
      s.rate = Math.max(this.settings.min_lr, s.rate * this.settings.factor);
      s.bad = 0;
    }
  }
}
