/**
 * meteor: NLTK's `meteor_score([reference.split()], input.split())` (α 0.9, β 3, γ 0.5; words
 * lower-cased; aligned by exact match, then by Porter stem), scaled 0–1.
 *
 * Two known differences from NLTK, both measured by the unit tests: NLTK's third stage (WordNet
 * synonyms) is left out — it needs the 30 MB WordNet database in every deployment — so a pair that
 * only a synonym aligns scores lower here; and the stems come from the `stemmer` package (the
 * original Porter algorithm), which differs from NLTK's extended Porter on about 1 % of English
 * words (e.g. "annoying": annoi vs annoy).
 */
import { stemmer } from 'stemmer';
import { whitespaceTokens } from './gleu';

type Enum = [index: number, word: string][];

/** NLTK's `_match_enums`: last hypothesis word first, each to its last equal reference word. */
function matchEnums(hyp: Enum, ref: Enum): [number, number][] {
  const matches: [number, number][] = [];
  for (let i = hyp.length - 1; i >= 0; i--) {
    for (let j = ref.length - 1; j >= 0; j--) {
      if (hyp[i][1] === ref[j][1]) {
        matches.push([hyp[i][0], ref[j][0]]);
        hyp.splice(i, 1);
        ref.splice(j, 1);
        break;
      }
    }
  }
  return matches;
}

function countChunks(matches: [number, number][]): number {
  let chunks = 1;
  for (let i = 0; i < matches.length - 1; i++) {
    const consecutive = matches[i + 1][0] === matches[i][0] + 1 && matches[i + 1][1] === matches[i][1] + 1;
    if (!consecutive) chunks++;
  }
  return chunks;
}

export function meteorTokens(
  hypothesis: string[],
  reference: string[],
  alpha = 0.9,
  beta = 3,
  gamma = 0.5,
): number {
  const hyp: Enum = hypothesis.map((w, i) => [i, w.toLowerCase()]);
  const ref: Enum = reference.map((w, i) => [i, w.toLowerCase()]);
  const translationLength = hyp.length;
  const referenceLength = ref.length;
  const exact = matchEnums(hyp, ref);
  const stemmedHyp: Enum = hyp.map(([i, w]) => [i, stemmer(w)]);
  const stemmedRef: Enum = ref.map(([i, w]) => [i, stemmer(w)]);
  const stems = matchEnums(stemmedHyp, stemmedRef);
  const matches = [...exact, ...stems].sort((a, b) => a[0] - b[0]);
  const count = matches.length;
  if (!translationLength || !referenceLength || !count) return 0;
  const precision = count / translationLength;
  const recall = count / referenceLength;
  const fmean = (precision * recall) / (alpha * precision + (1 - alpha) * recall);
  const fragFrac = countChunks(matches) / count;
  return (1 - gamma * fragFrac ** beta) * fmean;
}

export function meteor(input: string, reference: string): number {
  return meteorTokens(whitespaceTokens(input), whitespaceTokens(reference));
}
