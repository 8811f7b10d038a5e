/** Random search: every active parameter drawn uniformly in its own scale, from a seeded stream. */
import type { SearchSpace } from '../../../openapi/schemas/sweep';
import type { Rng } from './prng';
import { assign, sampleUniform, type Params } from './space';
import { HistoryStrategy } from './strategy';

export class RandomStrategy extends HistoryStrategy {
  constructor(
    private readonly space: SearchSpace,
    seed: number,
  ) {
    super(seed, space);
  }

  protected draw(rng: Rng): Params {
    return assign(this.space, (_name, p) => sampleUniform(p, rng));
  }
}
