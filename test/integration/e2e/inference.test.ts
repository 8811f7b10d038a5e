/**
 * Serving a model fine-tuned in the test, as a user does it: `npm start`, the official `openai` SDK
 * uploads a small deterministic task (ten fixed question → answer chats), fine-tunes the built-in
 * base model on it, then chats with the result — streamed and not — through /v1/chat/completions,
 * /v1/completions, a checkpoint's `fine_tuned_model_checkpoint` name and `tuneplane chat`.
 *
 * The functional check: the tuned model's greedy answers are right on at least 90 % of the
 * training prompts, and the base model's are not; the tuned model ends its turn by itself (its
 * end-of-turn token, finish_reason "stop").
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPITALS, CAPITALS_BASE, tuneOnCapitals } from '../../support/capitals';
import { freePort, ROOT, start, stop, type Running } from '../../support/npm-start';

let stack: Running;
let client: OpenAI;
let tuned: string;
let jobId: string;

beforeAll(async () => {
  stack = await start({
    PORT: String(await freePort()),
    TUNEPLANE_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'tuneplane-inference-')),
    TUNEPLANE_API_KEY: 'tp_inference_test_key_0123',
  });
  client = new OpenAI({ apiKey: stack.apiKey, baseURL: stack.baseUrl, maxRetries: 0 });

  ({ jobId, tuned } = await tuneOnCapitals(client, { timeoutMs: 240_000, output: stack.output }));
}, 300_000);

afterAll(async () => {
  if (stack) await stop(stack);
});

const answer = async (model: string, question: string) => {
  const r = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: question }],
    temperature: 0,
    max_completion_tokens: 24,
  });
  return r.choices[0];
};

describe('a model fine-tuned in the test, served on the embedded stack', () => {
  it('answers the training questions right (≥ 90 %), where the base model does not', async () => {
    let tunedRight = 0;
    let baseRight = 0;
    for (const [q, a] of CAPITALS) {
      const t = await answer(tuned, q);
      if (t.message.content?.trim() === a) tunedRight++;
      // It ends its turn by itself with the end-of-turn token it was trained to write.
      expect(t.finish_reason).toBe('stop');
      if ((await answer(CAPITALS_BASE, q)).message.content?.trim() === a) baseRight++;
    }
    expect(tunedRight / CAPITALS.length).toBeGreaterThanOrEqual(0.9);
    expect(baseRight / CAPITALS.length).toBeLessThan(0.5);
  }, 120_000);

  it('streams the same answer through the openai SDK, and continues prompts through completions', async () => {
    const stream = await client.chat.completions.create({
      model: tuned,
      messages: [{ role: 'user', content: 'capital of Kenya?' }],
      temperature: 0,
      stream: true,
    });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe((await answer(tuned, 'capital of Kenya?')).message.content);
    expect(finish).toBe('stop');

    const completion = await client.completions.create({
      model: tuned,
      prompt: 'user: capital of Peru?',
      temperature: 0,
      max_tokens: 8,
    });
    expect(completion.choices[0].text.length).toBeGreaterThan(0);
  }, 60_000);

  it("serves the job's checkpoints by their fine_tuned_model_checkpoint name", async () => {
    const checkpoints = await client.fineTuning.jobs.checkpoints.list(jobId);
    expect(checkpoints.data.length).toBeGreaterThan(0);
    const newest = checkpoints.data[0];
    expect(newest.fine_tuned_model_checkpoint).toBe(`${tuned}:ckpt-step-${newest.step_number}`);
    const reply = await answer(newest.fine_tuned_model_checkpoint, 'capital of Japan?');
    expect(typeof reply.message.content).toBe('string');
  }, 60_000);

  it('`tuneplane chat -m` streams the reply to the terminal', async () => {
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          'infra/cli/tuneplane.mjs',
          '--base-url',
          stack.baseUrl,
          '--api-key',
          stack.apiKey,
          'chat',
          tuned,
          '-m',
          'capital of Peru?',
          '-t',
          '0',
        ],
        { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout.trim()).toBe('Lima');
  }, 60_000);
});
