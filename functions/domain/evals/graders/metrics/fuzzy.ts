/**
 * fuzzy_match: RapidFuzz's `fuzz.WRatio(input, reference, processor=utils.default_process) / 100`,
 * which is what OpenAI's guide names for this metric.
 *
 * Written here rather than taken from npm: the JavaScript port (fuzzball) follows TheFuzz's older
 * algorithms (difflib blocks for partial_ratio, integers at every step), so its scores differ from
 * RapidFuzz's (85.5 becomes 86). This follows RapidFuzz's pure-Python implementation; the unit
 * tests hold it to RapidFuzz's published examples.
 */

/** RapidFuzz's default_process: lower case, every non-alphanumeric character a space, trimmed. */
export function defaultProcess(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, ' ')
    .trim();
}

const chars = (s: string) => Array.from(s);

/** Longest common subsequence length (characters). */
function lcs(a: string[], b: string[]): number {
  if (!a.length || !b.length) return 0;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** Normalized Indel similarity × 100 (RapidFuzz's `fuzz.ratio`). */
function ratioChars(a: string[], b: string[]): number {
  const total = a.length + b.length;
  if (total === 0) return 100;
  const dist = total - 2 * lcs(a, b);
  return 100 * (1 - dist / total);
}

export function ratio(a: string, b: string): number {
  return ratioChars(chars(a), chars(b));
}

/** RapidFuzz's `_partial_ratio_impl`: `shorter` against every window of `longer` (and the partial windows at both ends). */
function partialImpl(shorter: string[], longer: string[]): number {
  const len1 = shorter.length;
  const len2 = longer.length;
  const set = new Set(shorter);
  let best = 0;
  const consider = (window: string[]) => {
    const r = ratioChars(shorter, window);
    if (r > best) best = r;
    return best === 100;
  };
  for (let i = 1; i < len1; i++) {
    if (set.has(longer[i - 1]) && consider(longer.slice(0, i))) return 100;
  }
  for (let i = 0; i < len2 - len1; i++) {
    if (set.has(longer[i + len1 - 1]) && consider(longer.slice(i, i + len1))) return 100;
  }
  for (let i = Math.max(0, len2 - len1); i < len2; i++) {
    if (set.has(longer[i]) && consider(longer.slice(i))) return 100;
  }
  return best;
}

export function partialRatio(a: string, b: string): number {
  const s1 = chars(a);
  const s2 = chars(b);
  if (!s1.length || !s2.length) return 0;
  const [shorter, longer] = s1.length <= s2.length ? [s1, s2] : [s2, s1];
  let score = partialImpl(shorter, longer);
  if (score !== 100 && s1.length === s2.length) score = Math.max(score, partialImpl(longer, shorter));
  return score;
}

const tokens = (s: string) => s.split(/\s+/).filter(Boolean);
const sortedJoin = (t: Iterable<string>) => [...t].sort().join(' ');

function tokenSortRatio(a: string, b: string): number {
  return ratio(sortedJoin(tokens(a)), sortedJoin(tokens(b)));
}

function tokenSetRatio(a: string, b: string): number {
  const ta = new Set(tokens(a));
  const tb = new Set(tokens(b));
  if (!ta.size || !tb.size) return 0;
  const intersect = [...ta].filter((t) => tb.has(t));
  const diffAb = [...ta].filter((t) => !tb.has(t));
  const diffBa = [...tb].filter((t) => !ta.has(t));
  if (intersect.length && (!diffAb.length || !diffBa.length)) return 100;
  const ab = sortedJoin(diffAb);
  const ba = sortedJoin(diffBa);
  const abLen = chars(ab).length;
  const baLen = chars(ba).length;
  const sectLen = chars(sortedJoin(intersect)).length;
  const sep = sectLen !== 0 ? 1 : 0;
  const sectAbLen = sectLen + sep + abLen;
  const sectBaLen = sectLen + sep + baLen;
  const norm = (dist: number, lensum: number) => (lensum ? 100 - (100 * dist) / lensum : 100);
  const indel = abLen + baLen - 2 * lcs(chars(ab), chars(ba));
  const result = norm(indel, sectAbLen + sectBaLen);
  if (!sectLen) return result;
  return Math.max(result, norm(sep + abLen, sectLen + sectAbLen), norm(sep + baLen, sectLen + sectBaLen));
}

function partialTokenRatio(a: string, b: string): number {
  const sa = tokens(a);
  const sb = tokens(b);
  const ta = new Set(sa);
  const tb = new Set(sb);
  if ([...ta].some((t) => tb.has(t))) return 100;
  const diffAb = [...ta].filter((t) => !tb.has(t));
  const diffBa = [...tb].filter((t) => !ta.has(t));
  const result = partialRatio(sortedJoin(sa), sortedJoin(sb));
  if (sa.length === diffAb.length && sb.length === diffBa.length) return result;
  return Math.max(result, partialRatio(sortedJoin(diffAb), sortedJoin(diffBa)));
}

/** RapidFuzz's WRatio (0–100) on strings already processed. */
export function wRatio(a: string, b: string): number {
  const UNBASE_SCALE = 0.95;
  const len1 = chars(a).length;
  const len2 = chars(b).length;
  if (!len1 || !len2) return 0;
  const lenRatio = Math.max(len1, len2) / Math.min(len1, len2);
  let end = ratio(a, b);
  if (lenRatio < 1.5)
    return Math.max(end, Math.max(tokenSortRatio(a, b), tokenSetRatio(a, b)) * UNBASE_SCALE);
  const partialScale = lenRatio < 8 ? 0.9 : 0.6;
  end = Math.max(end, partialRatio(a, b) * partialScale);
  return Math.max(end, partialTokenRatio(a, b) * UNBASE_SCALE * partialScale);
}

/** The grader's score: WRatio with default_process, scaled to 0–1. */
export function fuzzyMatch(input: string, reference: string): number {
  return wRatio(defaultProcess(input), defaultProcess(reference)) / 100;
}
