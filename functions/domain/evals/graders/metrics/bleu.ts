/**
 * bleu: sacreBLEU's sentence BLEU (`sacrebleu.sentence_bleu(input, [reference])`: the 13a
 * tokenizer, `exp` smoothing, effective order), scaled to 0–1.
 *
 * Written here: the npm BLEU packages tokenize on spaces and smooth differently, so none gives
 * sacreBLEU's numbers. The unit tests hold this to sacreBLEU's own published test values.
 */

/** sacreBLEU's `13a` tokenizer (mteval-v13a). */
export function tokenize13a(line: string): string[] {
  let s = line
    .replace(/<skipped>/g, '')
    .replace(/-\n/g, '')
    .replace(/\n/g, ' ');
  if (s.includes('&'))
    s = s
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>');
  s = ` ${s} `;
  s = s.replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ');
  s = s.replace(/([^0-9])([.,])/g, '$1 $2 ');
  s = s.replace(/([.,])([^0-9])/g, ' $1 $2');
  s = s.replace(/([0-9])(-)/g, '$1 $2 ');
  return s.split(/\s+/).filter(Boolean);
}

export function ngramCounts(tokens: string[], n: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0001');
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

const MAX_ORDER = 4;

/** sacreBLEU's `compute_bleu` with exp smoothing and effective order, on token lists (0–100). */
export function sentenceBleuTokens(hyp: string[], ref: string[]): number {
  const correct: number[] = [];
  const total: number[] = [];
  for (let n = 1; n <= MAX_ORDER; n++) {
    const h = ngramCounts(hyp, n);
    const r = ngramCounts(ref, n);
    let c = 0;
    for (const [k, v] of h) c += Math.min(v, r.get(k) ?? 0);
    correct.push(c);
    total.push(Math.max(0, hyp.length - n + 1));
  }
  if (!correct.some((c) => c > 0)) return 0;
  const precisions: number[] = [];
  let smooth = 1;
  let effOrder = MAX_ORDER;
  for (let n = 1; n <= MAX_ORDER; n++) {
    if (total[n - 1] === 0) break;
    effOrder = n;
    if (correct[n - 1] === 0) {
      smooth *= 2;
      precisions.push(100 / (smooth * total[n - 1]));
    } else {
      precisions.push((100 * correct[n - 1]) / total[n - 1]);
    }
  }
  const bp = hyp.length < ref.length ? (hyp.length > 0 ? Math.exp(1 - ref.length / hyp.length) : 0) : 1;
  const logSum = precisions.slice(0, effOrder).reduce((s, p) => s + (p === 0 ? -9999999999 : Math.log(p)), 0);
  return bp * Math.exp(logSum / effOrder);
}

export function bleu(input: string, reference: string): number {
  return sentenceBleuTokens(tokenize13a(input), tokenize13a(reference)) / 100;
}
