/**
 * rouge_1 … rouge_5, rouge_l: Google's `rouge_score` (`RougeScorer([type]).score(reference,
 * input)[type].fmeasure`, its default tokenizer — lower case, non-alphanumerics to spaces — and no
 * stemming). The npm ROUGE packages tokenize differently and compute summary-level ROUGE-L
 * (rougeLsum), so this is written here; the unit tests hold it to rouge_score's published tests
 * (themselves checked against the original ROUGE-1.5.5).
 */
import { ngramCounts } from './bleu';

export function rougeTokens(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

const fmeasure = (precision: number, recall: number) =>
  precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;

export function rougeN(reference: string[], prediction: string[], n: number): number {
  const r = ngramCounts(reference, n);
  const p = ngramCounts(prediction, n);
  let overlap = 0;
  for (const [k, v] of r) overlap += Math.min(v, p.get(k) ?? 0);
  const refTotal = Math.max(0, reference.length - n + 1);
  const predTotal = Math.max(0, prediction.length - n + 1);
  return fmeasure(predTotal ? overlap / predTotal : 0, refTotal ? overlap / refTotal : 0);
}

export function rougeL(reference: string[], prediction: string[]): number {
  if (!reference.length || !prediction.length) return 0;
  let prev = new Uint32Array(prediction.length + 1);
  let cur = new Uint32Array(prediction.length + 1);
  for (let i = 1; i <= reference.length; i++) {
    for (let j = 1; j <= prediction.length; j++) {
      cur[j] = reference[i - 1] === prediction[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    [prev, cur] = [cur, prev];
  }
  const lcs = prev[prediction.length];
  return fmeasure(lcs / prediction.length, lcs / reference.length);
}

export function rouge(
  metric: 'rouge_1' | 'rouge_2' | 'rouge_3' | 'rouge_4' | 'rouge_5' | 'rouge_l',
  input: string,
  reference: string,
): number {
  const ref = rougeTokens(reference);
  const pred = rougeTokens(input);
  return metric === 'rouge_l' ? rougeL(ref, pred) : rougeN(ref, pred, Number(metric.slice(-1)));
}
