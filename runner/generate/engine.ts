/**
 * Text generation on a Decoder: the prompt is prefilled in one forward pass, then every step feeds
 * each live choice's last token and samples its next one. `n` choices share the prompt's prefill
 * (its cache row is copied n times) and decode as one batch. The cache is sized to the request
 * (prompt + max_tokens, times n) and released when the generator ends, however it ends.
 *
 * The generator yields once per decoding step with that step's events, so a caller can interleave
 * several generations fairly (runner/serve) and stop one between steps (a client that went away).
 */
import * as tf from '@tensorflow/tfjs';
import { mixSeed, rng } from '../data/rng';
import type { Decoder } from '../model';
import { IncrementalText, type Detokenizer } from './detokenize';
import { adjustLogits, chooseToken, logprobsAt, type SamplingParams } from './sampling';
import { StopMatcher } from './stop';

export interface GenerationRequest {
  /** Token ids of the prompt (template already applied). */
  prompt: readonly number[];
  /** Choices to generate. */
  n: number;
  /** New tokens per choice at most. */
  maxTokens: number;
  sampling: SamplingParams;
  /** Same seed and request ⇒ same output (on the same backend). Random when absent. */
  seed?: number;
  /** Stop sequences (text, up to 4). */
  stop: readonly string[];
  /** Tokens that end a choice (end of sequence, end of turn); never part of the output. */
  stopTokenIds: ReadonlySet<number>;
  /** How many alternatives to report per token; undefined = no logprobs at all. */
  logprobs?: number;
}

export interface TokenInfo {
  id: number;
  /** The token decoded alone (special tokens included), as OpenAI's logprobs show tokens. */
  text: string;
  logprob: number;
  top: { id: number; text: string; logprob: number }[];
}

export type FinishReason = 'stop' | 'length';

export type GenerationEvent =
  | { type: 'delta'; index: number; text: string; tokens: TokenInfo[] }
  | { type: 'finish'; index: number; reason: FinishReason };

export interface GenerationUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface GenerationModel {
  decoder: Decoder;
  tokenizer: Detokenizer;
}

interface Choice {
  index: number;
  counts: Map<number, number>;
  random: () => number;
  text: IncrementalText;
  stop: StopMatcher;
  generated: number;
  done: boolean;
  last: number;
  /** Tokens whose text is still held back by the stop matcher, with their logprobs. */
  heldTokens: TokenInfo[];
}

export function randomSeed(): number {
  return (Math.random() * 2 ** 32) >>> 0;
}

export async function* generate(
  model: GenerationModel,
  req: GenerationRequest,
): AsyncGenerator<GenerationEvent[], GenerationUsage> {
  const { decoder, tokenizer } = model;
  if (req.prompt.length === 0) throw new Error('The prompt has no tokens.');
  const capacity = req.prompt.length + req.maxTokens;
  const seed = req.seed ?? randomSeed();
  const choices: Choice[] = Array.from({ length: req.n }, (_, index) => ({
    index,
    counts: new Map(),
    random: rng(mixSeed(seed, index)),
    text: new IncrementalText(tokenizer),
    stop: new StopMatcher(req.stop),
    generated: 0,
    done: false,
    last: req.prompt[req.prompt.length - 1],
    heldTokens: [],
  }));
  const tokenText = (id: number) => tokenizer.decode([id]);
  let cache = decoder.createCache(1, capacity);
  // The step computed before a yield, read after it: disposed here if the caller stops in between.
  let pending: tf.Tensor2D | undefined;
  try {
    const promptIds = tf.tensor2d([[...req.prompt]], undefined, 'int32');
    pending = decoder.step(promptIds, cache);
    promptIds.dispose();
    let logits = await rowsOf(pending);
    if (req.n > 1) {
      const shared = cache;
      cache = shared.repeat(req.n);
      shared.dispose();
      logits = Array.from({ length: req.n }, () => logits[0]);
    }
    while (true) {
      const events: GenerationEvent[] = [];
      for (const c of choices) {
        if (c.done) continue;
        const raw = logits[c.index];
        const id = chooseToken(adjustLogits(raw, c.counts, req.sampling), req.sampling, c.random);
        c.generated++;
        c.last = id;
        if (req.stopTokenIds.has(id)) {
          finish(c, 'stop', c.stop.flush(), events);
          continue;
        }
        c.counts.set(id, (c.counts.get(id) ?? 0) + 1);
        if (req.logprobs !== undefined) {
          const lp = logprobsAt(raw, id, req.logprobs);
          c.heldTokens.push({
            id,
            text: tokenText(id),
            logprob: lp.logprob,
            top: lp.top.map((t) => ({ id: t.id, text: tokenText(t.id), logprob: t.logprob })),
          });
        }
        const { text, stopped } = c.stop.push(c.text.push(id));
        if (stopped) {
          finish(c, 'stop', text, events);
        } else if (c.generated >= req.maxTokens) {
          finish(c, 'length', text + c.stop.flush(), events);
        } else if (text) {
          events.push({ type: 'delta', index: c.index, text, tokens: c.heldTokens });
          c.heldTokens = [];
        }
      }
      if (choices.every((c) => c.done)) {
        yield events;
        break;
      }
      // Finished rows keep decoding their last token (the batch keeps its shape); their output is ignored.
      const next = tf.tensor2d(
        choices.map((c) => [c.last]),
        undefined,
        'int32',
      );
      pending = decoder.step(next, cache);
      next.dispose();
      yield events;
      logits = await rowsOf(pending);
    }
  } finally {
    if (pending && !pending.isDisposed) pending.dispose();
    cache.dispose();
  }
  return {
    promptTokens: req.prompt.length,
    completionTokens: choices.reduce((s, c) => s + c.generated, 0),
  };

  function finish(c: Choice, reason: FinishReason, text: string, events: GenerationEvent[]): void {
    c.done = true;
    // A stop sequence cut the text: logprobs go with the tokens whose text was emitted before it.
    const tokens = reason === 'stop' && text === '' ? [] : c.heldTokens;
    if (text || tokens.length) events.push({ type: 'delta', index: c.index, text, tokens });
    c.heldTokens = [];
    events.push({ type: 'finish', index: c.index, reason });
  }
}

/** The logits' rows on the host (asynchronously: a GPU backend cannot read synchronously); disposes them. */
async function rowsOf(logits: tf.Tensor2D): Promise<Float32Array[]> {
  try {
    const [rows, vocab] = logits.shape;
    const data = (await logits.data()) as Float32Array;
    return Array.from({ length: rows }, (_, r) => data.subarray(r * vocab, (r + 1) * vocab));
  } finally {
    logits.dispose();
  }
}
