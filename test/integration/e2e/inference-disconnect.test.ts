/**
 * A client that disconnects mid-stream frees its generation, on the embedded stack as a user runs
 * it: `npm start` with one request decoding at a time (TUNEPLANE_INFERENCE_MAX_ACTIVE=1), the
 * official `openai` SDK aborting a stream with its AbortController. The generation it left would
 * otherwise decode to its max_tokens, holding the next request in the queue behind it; the test
 * times the next request against an uninterrupted run of the same generation, side by side.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, start, stop, type Running } from '../../support/npm-start';
import { randomLlamaFolder } from '../../support/random-llama';

const SLOW = 'slow-random-llama';
let stack: Running;
let client: OpenAI;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'tuneplane-disconnect-'));
  const models = path.join(work, 'base-models');
  await mkdir(path.join(models, SLOW), { recursive: true });
  for (const [name, bytes] of randomLlamaFolder({
    hidden: 384,
    intermediate: 1152,
    layers: 6,
    heads: 6,
    kvHeads: 2,
    context: 1024,
  }))
    await writeFile(path.join(models, SLOW, name), bytes);
  stack = await start({
    PORT: String(await freePort()),
    TUNEPLANE_DATA_DIR: path.join(work, 'data'),
    TUNEPLANE_API_KEY: 'tp_disconnect_test_key_0123',
    TUNEPLANE_BASE_MODELS_DIR: models,
    TUNEPLANE_INFERENCE_MAX_ACTIVE: '1',
  });
  client = new OpenAI({ apiKey: stack.apiKey, baseURL: stack.baseUrl, maxRetries: 0 });
}, 120_000);

afterAll(async () => {
  if (stack) await stop(stack);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a streaming client that goes away', () => {
  it('stops its generation: the next request is served without waiting for it to finish', async () => {
    // Without its end-of-text token (logit_bias bans it) the model writes all max_tokens tokens.
    const long = {
      model: SLOW,
      prompt: 'the ',
      max_tokens: 500,
      temperature: 1,
      seed: 5,
      logit_bias: { '0': -100 },
    };
    const short = { model: SLOW, prompt: 'the ', max_tokens: 1 };
    await client.completions.create(short); // the worker started and the model loaded before timing
    let started = Date.now();
    const full = await client.completions.create(long);
    const fullMs = Date.now() - started;
    expect(full.usage?.completion_tokens).toBe(500);

    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      {
        model: SLOW,
        messages: [{ role: 'user', content: 'go' }],
        max_completion_tokens: 500,
        temperature: 1,
        logit_bias: { '0': -100 },
        stream: true,
      },
      { signal: controller.signal },
    );
    let seen = 0;
    try {
      for await (const chunk of stream) {
        seen += chunk.choices.length;
        if (seen >= 3) controller.abort();
      }
    } catch (err) {
      expect((err as Error).name).toMatch(/Abort/);
    }
    expect(seen).toBeLessThan(500);

    started = Date.now();
    const next = await client.completions.create(short);
    const nextMs = Date.now() - started;
    expect(next.choices[0].text.length).toBeGreaterThan(0);
    // One request decodes at a time: behind a generation left running it would wait for its 500 tokens.
    expect(nextMs).toBeLessThan(fullMs / 3);
  }, 300_000);
});
