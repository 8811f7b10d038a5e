/**
 * Grid search: every combination, in a fixed (lexicographic, declaration-order) enumeration.
 * Floats take `grid_points` points from low to high inclusive, evenly spaced in their scale (so a
 * log-scale learning rate gets 1e-5, 1e-4, … rather than crowding at the top); ints take every
 * value, or `grid_points` of them rounded to the step. A conditional parameter multiplies only the
 * branch where its condition holds, so {optimizer: [adam, sgd], momentum|sgd: 3 points} is 4 trials.
 * Points already observed (including warm-start trials) or running are skipped; `suggest` returns
 * null when the grid is exhausted.
 */
import type { SearchSpace, SweepParameter } from '../../../openapi/schemas/sweep';
import { decisionOrder, intCount, isActive, paramsKey, type Params, type ParamValue } from './space';
import { HistoryStrategy } from './strategy';

export function gridValues(p: SweepParameter): ParamValue[] {
  if (p.type === 'categorical') return [...p.choices];
  const n = p.grid_points ?? (p.type === 'int' ? intCount(p) : 0);
  if (n < 2) throw new Error('a float parameter needs grid_points for the grid strategy');
  const log = p.scale === 'log';
  const lo = log ? Math.log(p.low) : p.low;
  const hi = log ? Math.log(p.high) : p.high;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = lo + ((hi - lo) * i) / (n - 1);
    let v = log ? Math.exp(t) : t;
    if (i === 0) v = p.low; // exact endpoints, whatever the rounding of exp/log
    if (i === n - 1) v = p.high;
    if (p.type === 'int') v = Math.min(p.high, p.low + p.step * Math.round((v - p.low) / p.step));
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

/** All assignments of the grid, in enumeration order. */
export function enumerateGrid(space: SearchSpace): Params[] {
  const order = decisionOrder(space);
  const values = new Map(order.map((name) => [name, gridValues(space[name])]));
  const out: Params[] = [];
  const walk = (i: number, acc: Params): void => {
    if (i === order.length) return void out.push({ ...acc });
    const name = order[i];
    if (!isActive(space, name, acc)) return walk(i + 1, acc);
    for (const v of values.get(name) ?? []) {
      acc[name] = v;
      walk(i + 1, acc);
    }
    delete acc[name];
  };
  walk(0, {});
  return out;
}

export class GridStrategy extends HistoryStrategy {
  private points: Params[] | null = null;

  constructor(private readonly space: SearchSpace) {
    super(0);
  }

  /** Number of points in the grid. */
  size(): number {
    return this.grid().length;
  }

  protected draw(): Params | null {
    const used = new Set(this.history().map((t) => paramsKey(t.params)));
    const next = this.grid().find((p) => !used.has(paramsKey(p)));
    return next ? { ...next } : null;
  }

  private grid(): Params[] {
    this.points ??= enumerateGrid(this.space);
    return this.points;
  }
}
