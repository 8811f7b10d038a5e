/**
 * Enumeration of a search space's points: the grid strategy's order, and the pool that other
 * strategies fall back to when a small discrete space keeps yielding assignments already used.
 */
import type { SearchSpace, SweepParameter } from '../../../openapi/schemas/sweep';
import { decisionOrder, intCount, isActive, type Params, type ParamValue } from './space';

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

/** Size of the space if every parameter is discrete, else null (continuous parameters). */
export function discreteSize(space: SearchSpace): number | null {
  let size = 1;
  for (const p of Object.values(space)) {
    if (p.type === 'float') return null;
    size *= p.type === 'categorical' ? p.choices.length : intCount(p);
  }
  return size;
}
