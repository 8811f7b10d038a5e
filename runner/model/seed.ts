/** Deterministic 31-bit seeds derived from a base seed and a label (FNV-1a), for init and dropout. */
export function deriveSeed(base: number, ...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of `${base}|${parts.join('|')}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}
