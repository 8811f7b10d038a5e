/**
 * Ids that look like OpenAI's (`ftjob-abc…`) and sort by creation time, so "newest first" lists
 * and `after` cursors can use plain string order in the store.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, IdGenerator } from '../ports/clock';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

function base36(n: number, width: number): string {
  let s = '';
  let v = n;
  for (let i = 0; i < width; i++) {
    s = ALPHABET[v % 36] + s;
    v = Math.floor(v / 36);
  }
  return s;
}

/** 9 base-36 characters of milliseconds (good until year 5188), then 12 random characters. */
export function timeSortedIds(clock: Clock): IdGenerator {
  let lastMs = 0;
  let seq = 0;
  return {
    next(prefix: string): string {
      const ms = clock.nowMs();
      // Same-millisecond ids from one generator keep their order through a sequence digit pair.
      seq = ms === lastMs ? seq + 1 : 0;
      lastMs = ms;
      const rand = randomBytes(10);
      let tail = '';
      for (const b of rand) tail += ALPHABET[b % 36];
      return `${prefix}${base36(ms, 9)}${base36(seq % 1296, 2)}${tail}`;
    },
  };
}
