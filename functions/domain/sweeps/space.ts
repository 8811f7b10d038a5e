/**
 * Search-space helpers shared by the strategies: which parameters are active for a partial
 * assignment (conditional parameters), the order to decide them in, uniform sampling in each
 * parameter's own scale, and checks that a value belongs to a parameter (for warm-start trials that
 * come from a sweep with a different space).
 */
import type { ChoiceValue, SearchSpace, SweepParameter } from '../../../openapi/schemas/sweep';
import type { Rng } from './prng';

export type ParamValue = ChoiceValue;
export type Params = Record<string, ParamValue>;

/** Parents before children, otherwise in declaration order; the schema has rejected cycles. */
export function decisionOrder(space: SearchSpace): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const place = (name: string, depth: number): void => {
    if (placed.has(name) || depth > 64) return;
    const parent = space[name]?.condition?.parameter;
    if (parent !== undefined && space[parent]) place(parent, depth + 1);
    placed.add(name);
    order.push(name);
  };
  for (const name of Object.keys(space)) place(name, 0);
  return order;
}

/** Whether `name` is sampled, given the values already decided for its ancestors. */
export function isActive(space: SearchSpace, name: string, decided: Params): boolean {
  const c = space[name]?.condition;
  if (!c) return true;
  if (!(c.parameter in decided)) return false; // the parent is itself inactive
  const v = decided[c.parameter];
  return c.in ? c.in.some((x) => x === v) : c.equals === v;
}

/** Canonical key of an assignment (for duplicate detection): sorted names, JSON values. */
export function paramsKey(params: Params): string {
  return JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
}

/** Number of int values low..high by step. */
export function intCount(p: { low: number; high: number; step: number }): number {
  return Math.floor((p.high - p.low) / p.step) + 1;
}

/** One value drawn uniformly in the parameter's scale (log-uniform for `scale: log`). */
export function sampleUniform(p: SweepParameter, rng: Rng): ParamValue {
  const u = rng.next();
  switch (p.type) {
    case 'categorical':
      return p.choices[Math.floor(u * p.choices.length)];
    case 'float': {
      const x =
        p.scale === 'log'
          ? Math.exp(Math.log(p.low) + u * (Math.log(p.high) - Math.log(p.low)))
          : p.low + u * (p.high - p.low);
      return Math.min(Math.max(x, p.low), p.high);
    }
    case 'int': {
      if (p.scale === 'log') {
        // Log-uniform over [low - ½, high + ½], rounded: each integer gets the mass of its cell.
        const lo = Math.log(p.low - 0.5);
        const x = Math.round(Math.exp(lo + u * (Math.log(p.high + 0.5) - lo)));
        return Math.min(Math.max(x, p.low), p.high);
      }
      return p.low + p.step * Math.floor(u * intCount(p));
    }
  }
}

/** Whether `v` is a value this parameter can take (type, bounds, step, choices). */
export function contains(p: SweepParameter, v: unknown): v is ParamValue {
  if (p.type === 'categorical') return p.choices.some((c) => c === v);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < p.low || v > p.high) return false;
  if (p.type === 'int') return Number.isInteger(v) && (v - p.low) % p.step === 0;
  return true;
}

/**
 * The part of `params` that fits `space`: values outside a parameter's range or of a parameter
 * that is inactive under the others are dropped. Used for warm-start trials from other sweeps.
 */
export function fitToSpace(space: SearchSpace, params: Params): Params {
  const out: Params = {};
  for (const name of decisionOrder(space)) {
    const v = params[name];
    if (v !== undefined && contains(space[name], v) && isActive(space, name, out)) out[name] = v;
  }
  return out;
}

/** Draw every active parameter with `draw`, parents first. */
export function assign(space: SearchSpace, draw: (name: string, p: SweepParameter) => ParamValue): Params {
  const out: Params = {};
  for (const name of decisionOrder(space)) {
    if (isActive(space, name, out)) out[name] = draw(name, space[name]);
  }
  return out;
}
