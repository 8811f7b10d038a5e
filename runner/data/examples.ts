/**
 * A dataset's encoded examples, wherever they are kept: a list in memory (small inputs, tests) or a
 * file of compact token ids on disk with an index in memory (data/store.ts), so a training file of
 * any size costs the trainer a few bytes of memory per example. The trainer reads examples by
 * index, one batch at a time; sampling reads only the labels and weights.
 */

export interface Example {
  ids: number[];
  /** 1 where the token is a target of next-token prediction (LM tasks). */
  target: number[];
  /** Class id (classification). */
  label?: number;
  /** Sampling weight (`sampling.weight_field`), 1 when absent. */
  weight: number;
  /** Preference pairs: `ids`/`target` are the preferred answer's sequence, this the other's. */
  rejected?: { ids: number[]; target: number[] };
}

export interface Examples {
  readonly length: number;
  /** The i-th example (0 ≤ i < length); callers read it and never change it. */
  get(i: number): Example;
  /** Class id of every example (0 when not classification), without reading their tokens. */
  labelIds(): ArrayLike<number>;
  /** Sampling weight of every example, without reading their tokens. */
  weights(): ArrayLike<number>;
  /** Index of the longest example (the first of equals). */
  readonly longest: number;
  /** Tokens in all examples. */
  readonly tokens: number;
  /** Where they are kept (a disk store names its file). */
  readonly storage: { kind: 'memory' } | { kind: 'disk'; path: string };
}

/** Examples [start, end) (clamped to the end, like Array.prototype.slice). */
export function exampleRange(examples: Examples, start: number, end: number): Example[] {
  const out: Example[] = [];
  for (let i = start; i < Math.min(end, examples.length); i++) out.push(examples.get(i));
  return out;
}

/** Examples held as objects in memory. */
export class ExampleList implements Examples {
  readonly storage = { kind: 'memory' } as const;
  readonly longest: number;
  readonly tokens: number;

  constructor(private readonly items: readonly Example[]) {
    let longest = 0;
    let tokens = 0;
    // A preference pair counts both sequences; its length is the longer one's.
    const size = (e: Example) => Math.max(e.ids.length, e.rejected?.ids.length ?? 0);
    items.forEach((e, i) => {
      tokens += e.ids.length + (e.rejected?.ids.length ?? 0);
      if (size(e) > size(items[longest])) longest = i;
    });
    this.longest = longest;
    this.tokens = tokens;
  }

  get length(): number {
    return this.items.length;
  }

  get(i: number): Example {
    return this.items[i];
  }

  labelIds(): number[] {
    return this.items.map((e) => e.label ?? 0);
  }

  weights(): number[] {
    return this.items.map((e) => e.weight);
  }
}
