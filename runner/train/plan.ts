/**
 * Which examples each optimizer step sees. A step takes `gradient_accumulation_steps` micro-batches
 * of the batch size in force at that step (`batch_size_schedule`); an epoch is one pass through the
 * epoch's order (n draws for bootstrap/weighted). The last step of an epoch may be short.
 */
import type { ResolvedHyperparameters } from '../../openapi/schemas/hyperparameters';

export function batchSizeAt(
  step: number,
  base: number,
  schedule: ResolvedHyperparameters['batch_size_schedule'],
): number {
  let b = base;
  for (const s of [...schedule].sort((x, y) => x.step - y.step)) if (s.step <= step) b = s.batch_size;
  return b;
}

/** Where training stands: the next step to run and where it reads in which epoch. */
export interface Cursor {
  step: number;
  epoch: number;
  /** Index into the epoch's order. */
  position: number;
}

export function totalSteps(
  n: number,
  epochs: number,
  base: number,
  h: Pick<ResolvedHyperparameters, 'batch_size_schedule' | 'gradient_accumulation_steps'>,
): number {
  let step = 0;
  for (let e = 0; e < epochs; e++) {
    for (let pos = 0; pos < n; step++)
      pos += batchSizeAt(step, base, h.batch_size_schedule) * h.gradient_accumulation_steps;
  }
  return step;
}
