/**
 * gleu: NLTK's `sentence_gleu([reference.split()], input.split())` (Google-BLEU: n-grams of
 * orders 1–4; matches over the larger of the two n-gram totals, i.e. min(precision, recall)).
 * A dozen lines, so written here; the unit tests compare it with NLTK.
 */
import { ngramCounts } from './bleu';

export function sentenceGleuTokens(hyp: string[], ref: string[], minLen = 1, maxLen = 4): number {
  let tp = 0;
  let hypTotal = 0;
  let refTotal = 0;
  for (let n = minLen; n <= maxLen; n++) {
    const h = ngramCounts(hyp, n);
    const r = ngramCounts(ref, n);
    for (const [k, v] of h) {
      hypTotal += v;
      tp += Math.min(v, r.get(k) ?? 0);
    }
    for (const v of r.values()) refTotal += v;
  }
  const all = Math.max(hypTotal, refTotal);
  return all > 0 ? tp / all : 0;
}

export const whitespaceTokens = (s: string) => s.split(/\s+/).filter(Boolean);

export function gleu(input: string, reference: string): number {
  return sentenceGleuTokens(whitespaceTokens(input), whitespaceTokens(reference));
}
