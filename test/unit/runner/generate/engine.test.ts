/**
 * The generation engine on a small random model with a char tokenizer: seeded sampling is
 * reproducible, stop sequences cut across token boundaries, stop tokens end a choice, n choices,
 * logit_bias and penalties steer the choice, and the cache is released however generation ends.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adjustLogits,
  chooseToken,
  generate,
  GREEDY,
  IncrementalText,
  StopMatcher,
  type GenerationEvent,
  type GenerationRequest,
} from '../../../../runner/generate';
import { createDecoder, createModel, parseModelConfig } from '../../../../runner/model';
import { buildCharTokenizer } from '../../../../runner/tokenizer';

const chars = 'abcdefghijklmnopqrstuvwxyz ';
const tok = buildCharTokenizer(chars);
const model = createModel(
  parseModelConfig({
    model_type: 'llama',
    vocab_size: tok.vocabSize,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 64,
    initializer_range: 0.2,
  }),
  { seed: 5 },
);
const decoder = createDecoder(model);
const prompt = tok.encode('the cat sat');

function request(over: Partial<GenerationRequest> = {}): GenerationRequest {
  return {
    prompt,
    n: 1,
    maxTokens: 20,
    sampling: { ...GREEDY, temperature: 1, topP: 0.9 },
    stop: [],
    stopTokenIds: new Set(),
    ...over,
  };
}

async function run(req: GenerationRequest) {
  const texts: string[] = Array.from({ length: req.n }, () => '');
  const finish: string[] = [];
  const events: GenerationEvent[] = [];
  const gen = generate({ decoder, tokenizer: tok }, req);
  let r = await gen.next();
  while (!r.done) {
    for (const e of r.value) {
      events.push(e);
      if (e.type === 'delta') texts[e.index] += e.text;
      else finish[e.index] = e.reason;
    }
    r = await gen.next();
  }
  return { texts, finish, events, usage: r.value };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('generate', () => {
  it('gives the same text for the same seed, and other text for another seed', async () => {
    const a = await run(request({ seed: 42 }));
    const b = await run(request({ seed: 42 }));
    const c = await run(request({ seed: 43 }));
    expect(a.texts).toEqual(b.texts);
    expect(a.texts[0].length).toBeGreaterThan(0);
    expect(c.texts).not.toEqual(a.texts);
    expect(a.usage).toEqual({ promptTokens: prompt.length, completionTokens: 20 });
    expect(a.finish).toEqual(['length']);
  });

  it('n choices with one seed are different draws, each reproducible', async () => {
    const three = await run(request({ n: 3, seed: 7 }));
    expect(new Set(three.texts).size).toBeGreaterThan(1);
    expect((await run(request({ n: 3, seed: 7 }))).texts).toEqual(three.texts);
    expect(three.usage.completionTokens).toBe(60);
  });

  it('cuts at a stop sequence spanning tokens, never emitting it, and reports finish_reason stop', async () => {
    const free = (await run(request({ sampling: GREEDY, maxTokens: 30 }))).texts[0];
    // a two-character stop sequence taken from the middle of the free-running text
    const stop = free.slice(5, 7);
    const cut = await run(request({ sampling: GREEDY, maxTokens: 30, stop: [stop] }));
    expect(cut.texts[0]).toBe(free.slice(0, free.indexOf(stop)));
    expect(cut.finish).toEqual(['stop']);
  });

  it('ends a choice at a stop token without emitting it', async () => {
    const free = await run(request({ sampling: GREEDY, maxTokens: 12, logprobs: 0 }));
    const ids = free.events.flatMap((e) => (e.type === 'delta' ? e.tokens.map((t) => t.id) : []));
    const stopAt = ids[4];
    const cut = await run(request({ sampling: GREEDY, maxTokens: 12, stopTokenIds: new Set([stopAt]) }));
    expect(cut.texts[0]).toBe(tok.decode(ids.slice(0, ids.indexOf(stopAt))));
    expect(cut.finish).toEqual(['stop']);
  });

  it('reports logprobs of the emitted tokens with the top alternatives', async () => {
    const r = await run(request({ sampling: GREEDY, maxTokens: 5, logprobs: 3 }));
    const tokens = r.events.flatMap((e) => (e.type === 'delta' ? e.tokens : []));
    expect(tokens).toHaveLength(5);
    for (const t of tokens) {
      expect(t.top).toHaveLength(3);
      // greedy: the chosen token is the most likely one
      expect(t.top[0].id).toBe(t.id);
      expect(t.logprob).toBeCloseTo(t.top[0].logprob, 6);
      expect(t.logprob).toBeLessThanOrEqual(0);
    }
    expect(tokens.map((t) => t.text).join('')).toBe(r.texts[0]);
  });

  it('leaves no tensors behind, also when the caller stops early', async () => {
    const before = tf.memory().numTensors;
    await run(request({ n: 2 }));
    const gen = generate({ decoder, tokenizer: tok }, request());
    await gen.next();
    await gen.return({ promptTokens: 0, completionTokens: 0 });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('sampling', () => {
  it('logit_bias of +100 forces a token and -100 forbids it', () => {
    const logits = Float32Array.from([1, 5, 2, 0]);
    const bias = (m: [number, number][]) => ({ ...GREEDY, logitBias: new Map(m) });
    expect(chooseToken(adjustLogits(logits, new Map(), bias([[3, 100]])), GREEDY, Math.random)).toBe(3);
    expect(chooseToken(adjustLogits(logits, new Map(), bias([[1, -100]])), GREEDY, Math.random)).toBe(2);
  });

  it('frequency and presence penalties lower the logits of tokens already generated', () => {
    const logits = Float32Array.from([1, 5, 2, 0]);
    const p = { ...GREEDY, frequencyPenalty: 1, presencePenalty: 0.5 };
    expect(Array.from(adjustLogits(logits, new Map([[1, 3]]), p))).toEqual([1, 1.5, 2, 0]);
  });

  it('top_p keeps only the most likely tokens whose mass reaches it', () => {
    const logits = Float32Array.from([Math.log(0.6), Math.log(0.3), Math.log(0.1)]);
    const p = { ...GREEDY, temperature: 1, topP: 0.5 };
    for (let i = 0; i < 50; i++) expect(chooseToken(logits, p, Math.random)).toBe(0);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(chooseToken(logits, { ...p, topP: 0.85 }, Math.random));
    expect([...seen].sort()).toEqual([0, 1]);
  });
});

describe('StopMatcher', () => {
  it('holds back a possible start of a stop sequence until the next text decides', () => {
    const m = new StopMatcher(['END']);
    expect(m.push('abc E')).toEqual({ text: 'abc ', stopped: false });
    expect(m.push('N')).toEqual({ text: '', stopped: false });
    expect(m.push('Dxyz')).toEqual({ text: '', stopped: true });
    const n = new StopMatcher(['END']);
    n.push('abc EN');
    expect(n.push('x')).toEqual({ text: 'ENx', stopped: false });
    expect(n.flush()).toBe('');
  });
});

describe('IncrementalText', () => {
  it('waits while the tail is an incomplete character, then emits it whole', () => {
    // a byte-level decoder: 0xC3 0xA9 is "é" in UTF-8
    const bytes = { decode: (ids: readonly number[]) => Buffer.from(ids).toString('utf8') };
    const text = new IncrementalText(bytes);
    expect(text.push(0x61)).toBe('a');
    expect(text.push(0xc3)).toBe('');
    expect(text.push(0xa9)).toBe('é');
  });
});
