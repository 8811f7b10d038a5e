/**
 * Chat completions and completions through the official `openai` SDK over real HTTP, served by the
 * embedded stack's inference worker (runner/entry/serve.ts, a child process) from models in s3rver:
 * the built-in base model, a fine-tuned model of tenant A and one of its checkpoints. Other
 * tenants' and deleted models are 404s; unsupported fields and impossible budgets are 400s naming
 * the field.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI, { BadRequestError, NotFoundError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localInference, type LocalInference } from '../../functions/adapters/local/inference';
import type { Inference } from '../../functions/ports/inference';
import { jobRecord } from '../support/records';
import { startApi, type ApiHarness } from './support';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BASE = 'tuneplane-tiny-char';
const TUNED = `ft:${BASE}:tenant-a::inferapi1`;
const CHECKPOINT = `${TUNED}:ckpt-step-7`;

let api: ApiHarness;
let server: { baseUrl: string; close(): Promise<void> };
let worker: LocalInference;
let a: OpenAI;
let b: OpenAI;

beforeAll(async () => {
  const inference: Inference = { generate: (job, onEvent, signal) => worker.generate(job, onEvent, signal) };
  api = await startApi({ inference });
  worker = localInference({
    command: [
      process.execPath,
      '--openssl-legacy-provider',
      '--import',
      'tsx',
      path.join(ROOT, 'runner/entry/serve.ts'),
    ],
    env: api.env.env,
    cwd: ROOT,
  });
  const folder = path.join(ROOT, 'runner/base-models', BASE);
  const files = await readdir(folder);
  for (const prefix of [`models/${BASE}/`, `models/${TUNED}/`])
    for (const f of files) await api.env.blobs.put(prefix + f, await readFile(path.join(folder, f)));
  await api.env.blobs.put(
    'checkpoints/ftjob-inferapi1/step-00000007/model.safetensors',
    await readFile(path.join(folder, 'model.safetensors')),
  );
  const { stores } = api.env;
  await stores.models.put({
    id: BASE,
    tenantId: 'system',
    createdAt: 1,
    ownedBy: 'tuneplane',
    blobPrefix: `models/${BASE}/`,
  });
  await stores.models.put({
    id: TUNED,
    tenantId: 'tenant-a',
    createdAt: 2,
    ownedBy: 'tenant-a',
    jobId: 'ftjob-inferapi1',
    blobPrefix: `models/${TUNED}/`,
  });
  await stores.jobs.create(
    jobRecord({ id: 'ftjob-inferapi1', model: BASE, status: 'succeeded', fineTunedModel: TUNED }),
  );
  await stores.checkpoints.put({
    id: 'ftckpt-inferapi1-step-00000007',
    jobId: 'ftjob-inferapi1',
    tenantId: 'tenant-a',
    createdAt: 3,
    stepNumber: 7,
    metrics: {},
    fineTunedModelCheckpoint: CHECKPOINT,
    blobPrefix: 'checkpoints/ftjob-inferapi1/step-00000007/',
  });
  server = await api.listen();
  a = new OpenAI({ apiKey: api.keyA, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
  b = new OpenAI({ apiKey: api.keyB, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await worker?.shutdown();
  await api?.stop();
});

const messages = [
  { role: 'system' as const, content: 'Answer briefly.' },
  { role: 'user' as const, content: 'Who is there?' },
];

describe('POST /v1/chat/completions', () => {
  it('answers greedily, the same text streamed and not, with usage', async () => {
    const whole = await a.chat.completions.create({
      model: BASE,
      messages,
      temperature: 0,
      max_completion_tokens: 24,
    });
    expect(whole).toMatchObject({ object: 'chat.completion', model: BASE });
    expect(whole.id).toMatch(/^chatcmpl-/);
    const choice = whole.choices[0];
    expect(choice.message.role).toBe('assistant');
    expect(choice.message.content!.length).toBeGreaterThan(0);
    expect(['stop', 'length']).toContain(choice.finish_reason);
    expect(whole.usage!.prompt_tokens).toBeGreaterThan(20);
    expect(whole.usage!.total_tokens).toBe(whole.usage!.prompt_tokens + whole.usage!.completion_tokens);

    const stream = await a.chat.completions.create({
      model: BASE,
      messages,
      temperature: 0,
      max_completion_tokens: 24,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.object).toBe('chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        text += c.delta.content ?? '';
        finish = c.finish_reason ?? finish;
      }
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text).toBe(choice.message.content);
    expect(finish).toBe(choice.finish_reason);
    expect(usage).toEqual(whole.usage);
  }, 60_000);

  it('samples reproducibly with a seed, n choices, logprobs', async () => {
    const ask = () =>
      a.chat.completions.create({
        model: BASE,
        messages,
        temperature: 1.2,
        seed: 11,
        n: 3,
        max_completion_tokens: 16,
        logprobs: true,
        top_logprobs: 2,
      });
    const [x, y] = [await ask(), await ask()];
    expect(x.choices).toHaveLength(3);
    expect(x.choices.map((c) => c.message.content)).toEqual(y.choices.map((c) => c.message.content));
    expect(new Set(x.choices.map((c) => c.message.content)).size).toBeGreaterThan(1);
    const lp = x.choices[0].logprobs!.content!;
    expect(lp.length).toBeGreaterThan(0);
    expect(lp.map((t) => t.token).join('')).toBe(x.choices[0].message.content);
    for (const t of lp) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.top_logprobs).toHaveLength(2);
    }
  }, 60_000);

  it('stops at a stop sequence, which the text does not contain', async () => {
    const free = await a.chat.completions.create({
      model: BASE,
      messages,
      temperature: 0,
      max_completion_tokens: 40,
    });
    const text = free.choices[0].message.content!;
    const stop = text.slice(3, 5);
    const cut = await a.chat.completions.create({
      model: BASE,
      messages,
      temperature: 0,
      max_completion_tokens: 40,
      stop: [stop],
    });
    expect(cut.choices[0].message.content).toBe(text.slice(0, text.indexOf(stop)));
    expect(cut.choices[0].finish_reason).toBe('stop');
  }, 60_000);

  it("serves the tenant's fine-tuned model and its checkpoint; another tenant gets 404", async () => {
    const tuned = await a.chat.completions.create({
      model: TUNED,
      messages,
      temperature: 0,
      max_completion_tokens: 8,
    });
    expect(tuned.model).toBe(TUNED);
    const ckpt = await a.chat.completions.create({
      model: CHECKPOINT,
      messages,
      temperature: 0,
      max_completion_tokens: 8,
    });
    // Same weights here (the checkpoint is a copy), so the same answer.
    expect(ckpt.choices[0].message.content).toBe(tuned.choices[0].message.content);

    for (const model of [TUNED, CHECKPOINT, `${TUNED}:ckpt-step-8`, 'no-such-model']) {
      const client = model === TUNED || model === CHECKPOINT ? b : a;
      const err = await client.chat.completions.create({ model, messages }).catch((e: unknown) => e);
      expect(err, model).toBeInstanceOf(NotFoundError);
      expect((err as NotFoundError).param).toBe('model');
    }
  }, 60_000);
});

describe('POST /v1/completions', () => {
  it('continues a prompt, streamed and not, with legacy logprobs', async () => {
    const whole = await a.completions.create({
      model: BASE,
      prompt: 'To be, or not',
      temperature: 0,
      max_tokens: 12,
      logprobs: 2,
    });
    expect(whole).toMatchObject({ object: 'text_completion', model: BASE });
    const c = whole.choices[0];
    expect(c.finish_reason).toBe('length');
    expect(whole.usage!.completion_tokens).toBe(12);
    expect(c.logprobs!.tokens!.join('')).toBe(c.text);
    expect(c.logprobs!.text_offset![0]).toBe('To be, or not'.length);

    const stream = await a.completions.create({
      model: BASE,
      prompt: 'To be, or not',
      temperature: 0,
      max_tokens: 12,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) for (const ch of chunk.choices) text += ch.text;
    expect(text).toBe(c.text);
  }, 60_000);
});

describe('bad requests are 400s naming the field', () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['tools', { tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools', 'unsupported_parameter'],
    ['JSON mode', { response_format: { type: 'json_object' } }, 'response_format', 'unsupported_parameter'],
    [
      'an image part',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] },
      'messages[0].content[0]',
      'unsupported_parameter',
    ],
    ['too many choices', { n: 17 }, 'n', 'invalid_value'],
    ['a temperature over 2', { temperature: 3 }, 'temperature', 'invalid_value'],
    ['an unknown field', { frobnicate: true }, 'frobnicate', 'unknown_parameter'],
    [
      'more tokens than the context',
      { max_completion_tokens: 5000 },
      'max_completion_tokens',
      'context_length_exceeded',
    ],
    ['a bias on a token the model lacks', { logit_bias: { '5000': 1 } }, 'logit_bias.5000', 'invalid_value'],
  ];
  it.each(cases)(
    '%s',
    async (_, extra, param, code) => {
      const err = await a.chat.completions
        .create({ model: BASE, messages, max_completion_tokens: 4, ...extra } as never)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).param).toBe(param);
      expect((err as BadRequestError).code).toBe(code);
    },
    30_000,
  );
});
