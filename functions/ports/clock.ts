/** Time and ids come through ports so tests can fix them. */
export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

export interface IdGenerator {
  /** A new id with the given prefix, e.g. `ftjob-` → `ftjob-3kq…`; ids sort by creation time. */
  next(prefix: string): string;
}
