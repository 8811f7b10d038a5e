/**
 * Trial schedulers (early stopping) behind one interface: each report of a running trial's
 * objective gets a decision, 'continue' or 'stop'. Decisions depend on the reports seen so far, in
 * arrival order, so a stateless controller rebuilds a scheduler by replaying the stored reports and
 * completions in the order they arrived.
 */
import { sign, type Goal } from './strategy';

export type Decision = 'continue' | 'stop';

export interface Scheduler {
  /** `step`: resource used so far (epochs or steps); `value`: the objective at that point. */
  onReport(trialId: string, step: number, value: number): Decision;
  /** The trial ran its full budget; its reports become the reference for later trials. */
  onComplete(trialId: string): void;
}

/** Never stops a trial. */
export class NoStopping implements Scheduler {
  onReport(): Decision {
    return 'continue';
  }
  onComplete(): void {}
}

export interface MedianSettings {
  n_startup_trials: number;
  n_warmup_steps: number;
  interval_steps: number;
  n_min_trials: number;
}

/**
 * The median stopping rule with optuna's MedianPruner semantics: once `n_startup_trials` trials
 * have completed and past `n_warmup_steps`, stop a trial whose best value so far is worse than the
 * median of the completed trials' values at the same step.
 */
export class MedianStopping implements Scheduler {
  private readonly reports = new Map<string, Map<number, number>>();
  private readonly completed: string[] = [];
  private readonly s: number;

  constructor(
    goal: Goal,
    private readonly settings: MedianSettings,
  ) {
    this.s = sign(goal);
  }

  onReport(trialId: string, step: number, value: number): Decision {
    const mine = this.reports.get(trialId) ?? new Map<number, number>();
    mine.set(step, value);
    this.reports.set(trialId, mine);
    const { n_startup_trials, n_warmup_steps, interval_steps, n_min_trials } = this.settings;
    if (this.completed.length < n_startup_trials || step < n_warmup_steps) return 'continue';
    if ((step - n_warmup_steps) % interval_steps !== 0) return 'continue';
    if (Number.isNaN(value)) return 'stop';
    // Compare in "smaller is better" space: s·value.
    const best = Math.min(...[...mine.values()].filter((v) => !Number.isNaN(v)).map((v) => this.s * v));
    const others = this.completed
      .map((id) => this.reports.get(id)?.get(step))
      .filter((v): v is number => v !== undefined && !Number.isNaN(v))
      .map((v) => this.s * v);
    if (others.length < n_min_trials) return 'continue';
    return best > median(others) ? 'stop' : 'continue';
  }

  onComplete(trialId: string): void {
    if (!this.completed.includes(trialId)) this.completed.push(trialId);
  }
}

/** Median with linear interpolation (numpy's default percentile). */
export function median(values: readonly number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = (v.length - 1) / 2;
  return (v[Math.floor(mid)] + v[Math.ceil(mid)]) / 2;
}

export interface AshaSettings {
  min_resource: number;
  max_resource: number;
  reduction_factor: number;
}

/**
 * Asynchronous successive halving (Li et al. 2018, "A System for Massively Parallel
 * Hyperparameter Tuning"), in its stopping form as in Ray Tune's AsyncHyperBand and optuna's
 * SuccessiveHalvingPruner: rungs at r_k = min_resource·eta^k below max_resource. When a trial first
 * reaches a rung its value is recorded there and, right then, against the results recorded so far
 * (no waiting for a full cohort), it continues only if it ranks among the top max(1, ⌊n/eta⌋) of the
 * n results at that rung. Early arrivals therefore pass more easily; as rungs fill, the bar tends to
 * the top 1/eta.
 */
export class Asha implements Scheduler {
  readonly rungs: number[] = [];
  private readonly recorded: number[][];
  private readonly reached = new Map<string, number>(); // trial → rungs already passed
  private readonly stopped = new Set<string>();
  private readonly s: number;

  constructor(
    goal: Goal,
    private readonly settings: AshaSettings,
  ) {
    this.s = sign(goal);
    const { min_resource, max_resource, reduction_factor } = settings;
    for (let r = min_resource; r < max_resource; r *= reduction_factor) this.rungs.push(r);
    this.recorded = this.rungs.map(() => []);
  }

  onReport(trialId: string, step: number, value: number): Decision {
    if (this.stopped.has(trialId)) return 'stop';
    let k = this.reached.get(trialId) ?? 0;
    // A trial that reports sparsely may pass several rungs at once: it is judged at each.
    while (k < this.rungs.length && step >= this.rungs[k]) {
      const v = Number.isNaN(value) ? Infinity : this.s * value;
      const rung = this.recorded[k];
      rung.push(v);
      k += 1;
      this.reached.set(trialId, k);
      const better = rung.filter((x) => x < v).length;
      if (better >= Math.max(1, Math.floor(rung.length / this.settings.reduction_factor))) {
        this.stopped.add(trialId);
        return 'stop';
      }
    }
    return 'continue';
  }

  onComplete(): void {}

  /** Results recorded at each rung so far (as reported). */
  rungResults(): number[][] {
    return this.recorded.map((r) => r.map((v) => this.s * v));
  }
}
