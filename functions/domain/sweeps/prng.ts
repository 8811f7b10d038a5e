/**
 * Seeded pseudo-random numbers. A sweep's controller runs in short-lived functions and rebuilds its
 * strategy from stored trials on every call, so randomness cannot live in a long-running generator:
 * each suggestion draws from its own stream, derived from (sweep seed, trial ordinal, attempt).
 * That makes a suggestion a pure function of the seed and the trials observed before it.
 *
 * sfc32 (Chris Doty-Humphrey's Small Fast Counter, PractRand-clean) seeded through splitmix32.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A generator for the stream named by `seed` and any number of integer keys. */
export function createRng(seed: number, ...keys: number[]): Rng {
  let h = splitmix32(seed >>> 0);
  for (const k of keys) h = splitmix32(h ^ splitmix32(k >>> 0));
  let a = h;
  let b = splitmix32(h ^ 0x1b873593);
  let c = splitmix32(b ^ 0xcc9e2d51);
  let d = 1;
  const next32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next32(); // discard the warm-up outputs, as the author recommends
  const next = (): number => (next32() * 2 ** 21 + (next32() >>> 11)) / 2 ** 53; // 53 random bits
  return { next, int: (n) => Math.floor(next() * n) };
}
