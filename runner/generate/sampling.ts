/**
 * From a row of logits to the next token, as OpenAI documents its parameters:
 *  - logit_bias is added to the logits of the named tokens;
 *  - presence and frequency penalties: logit[j] -= count[j] · frequency + (count[j] > 0) · presence,
 *    where count[j] is how often token j was generated so far in this choice;
 *  - temperature 0 is greedy (the first largest logit); otherwise softmax(logits / temperature)
 *    restricted to the smallest set of most likely tokens whose mass reaches top_p, and a draw
 *    from the choice's seeded generator.
 * Reported logprobs are the model's own (log-softmax of the raw logits), before bias, penalties
 * and temperature, so they say how likely the model found each token.
 */
export interface SamplingParams {
  temperature: number;
  topP: number;
  presencePenalty: number;
  frequencyPenalty: number;
  logitBias: ReadonlyMap<number, number>;
}

export const GREEDY: SamplingParams = {
  temperature: 0,
  topP: 1,
  presencePenalty: 0,
  frequencyPenalty: 0,
  logitBias: new Map(),
};

/** The logits the choice samples from: bias and penalties applied to a copy. */
export function adjustLogits(
  logits: Float32Array,
  counts: ReadonlyMap<number, number>,
  p: SamplingParams,
): Float32Array {
  if (p.logitBias.size === 0 && counts.size === 0) return logits;
  const out = Float32Array.from(logits);
  for (const [id, bias] of p.logitBias) if (id < out.length) out[id] += bias;
  if (p.presencePenalty !== 0 || p.frequencyPenalty !== 0) {
    for (const [id, n] of counts) out[id] -= n * p.frequencyPenalty + (n > 0 ? p.presencePenalty : 0);
  }
  return out;
}

export function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** The next token: greedy at temperature 0, else a nucleus draw with `random` in [0, 1). */
export function chooseToken(logits: Float32Array, p: SamplingParams, random: () => number): number {
  if (p.temperature === 0) return argmax(logits);
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
  const probs = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    probs[i] = Math.exp((logits[i] - max) / p.temperature);
    sum += probs[i];
  }
  let order: number[] | Int32Array;
  let mass = sum;
  if (p.topP < 1) {
    // Most likely first (ties by id, so the result never depends on the sort's stability).
    const ids = Array.from({ length: n }, (_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
    let kept = 0;
    mass = 0;
    while (kept < n && (kept === 0 || mass < p.topP * sum)) mass += probs[ids[kept++]];
    order = ids.slice(0, kept);
  } else {
    order = Int32Array.from({ length: n }, (_, i) => i);
  }
  let u = random() * mass;
  for (const id of order) {
    u -= probs[id];
    if (u < 0) return id;
  }
  // Rounding left u a hair above zero: the last kept token with any mass.
  for (let i = order.length - 1; i >= 0; i--) if (probs[order[i]] > 0) return order[i];
  return order[0];
}

export interface TokenLogprob {
  id: number;
  logprob: number;
}

/** log-softmax of the raw logits at `id`, and the `top` most likely tokens (0 for none). */
export function logprobsAt(
  logits: Float32Array,
  id: number,
  top: number,
): { logprob: number; top: TokenLogprob[] } {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const lse = max + Math.log(sum);
  const best: TokenLogprob[] = [];
  if (top > 0) {
    for (let i = 0; i < logits.length; i++) {
      if (best.length < top || logits[i] > best[best.length - 1].logprob) {
        best.push({ id: i, logprob: logits[i] });
        best.sort((a, b) => b.logprob - a.logprob || a.id - b.id);
        if (best.length > top) best.pop();
      }
    }
    for (const b of best) b.logprob -= lse;
  }
  return { logprob: logits[id] - lse, top: best };
}
