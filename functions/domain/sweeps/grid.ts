/**
 * Grid search: every combination, in a fixed (lexicographic, declaration-order) enumeration.
 * Floats take `grid_points` points from low to high inclusive, evenly spaced in their scale (so a
 * log-scale learning rate gets 1e-5, 1e-4, … rather than crowding at the top); ints take every
 * value, or `grid_points` of them rounded to the step. A conditional parameter multiplies only the
 * branch where its condition holds, so {optimizer: [adam, sgd], momentum|sgd: 3 points} is 4 trials.
 * Points already observed (including warm-start trials) or running are skipped; `suggest` returns
 * null when the grid is exhausted.
 */
import type { SearchSpace } from '../../../openapi/schemas/sweep';
import { enumerateGrid } from './enumerate';
import type { Params } from './space';
import { HistoryStrategy } from './strategy';

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
    const next = this.grid().find((p) => !this.isUsed(p));
    return next ? { ...next } : null;
  }

  private grid(): Params[] {
    this.points ??= enumerateGrid(this.space);
    return this.points;
  }
}
