/**
 * `tuneplane evals compare` as a user runs it: a separate process talking HTTP to the API on
 * loopback, the eval worker executing the runs against the embedded DynamoDB, models sampled
 * through the OpenAI adapter against the OpenAI stand-in (OpenAI's servers cannot run here), which
 * answers the label for one model and a wrong one for the other.
 */
import { spawn } from 'node:child_process';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoEvalStore } from '../../../functions/adapters/dynamodb';
import { openAiSampler } from '../../../functions/adapters/openai/sampler';
import { startEvalRunWorker, type EvalRunWorker } from '../../../functions/domain/evals/runs';
import { systemClock } from '../../../functions/ports/clock';
import type { EvalStore } from '../../../functions/ports/evals';
import { startApi, type ApiHarness } from '../../api/support';
import { startOpenAiStandin, type OpenAiStandin } from '../../support/openai-standin';
import { jobRecord } from '../../support/records';

let api: ApiHarness;
let openai: OpenAiStandin;
let server: { baseUrl: string; close(): Promise<void> };
let worker: EvalRunWorker;
let store: DynamoEvalStore;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['infra/cli/tuneplane.mjs', '--base-url', `${server.baseUrl}/v1`, '--api-key', api.keyA, ...args],
      { env: { ...process.env, NO_COLOR: '1' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

beforeAll(async () => {
  openai = await startOpenAiStandin();
  // The "tuned" model answers with the ticket's label; the "base" one always says Software.
  openai.answer = (model, messages) => {
    const ticket = messages.at(-1)?.content ?? '';
    if (model === 'gpt-4o-mini' || model === 'gpt-4o-mini-2024-07-18') return 'Software';
    return /printer|screen|keyboard/.test(ticket) ? 'Hardware' : 'Software';
  };
  const sampler = openAiSampler(new OpenAI({ apiKey: 'sk-test', baseURL: openai.baseURL, maxRetries: 0 }));
  const forward = new Proxy({} as EvalStore, {
    get:
      (_t, name) =>
      (...args: unknown[]) =>
        (store as unknown as Record<string, (...a: unknown[]) => unknown>)[name as string](...args),
  });
  api = await startApi({ sampler, evals: { store: forward, onRunQueued: (run) => worker.kick(run.id) } });
  store = new DynamoEvalStore({ doc: api.env.clients.doc, table: api.env.config.table, clock: systemClock });
  worker = startEvalRunWorker(
    { evals: store, stores: api.deps.stores, blobs: api.deps.blobs, clock: systemClock, sampler },
    { intervalMs: 200 },
  );
  server = await api.listen();
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await server?.close();
  await api?.stop();
  await openai?.close();
});

const tickets = [
  ['my printer jams', 'Hardware'],
  ['the screen flickers', 'Hardware'],
  ['excel crashes on save', 'Software'],
  ['keyboard keys stick', 'Hardware'],
  ['cannot log in to the VPN client', 'Software'],
] as const;

describe('tuneplane evals compare', () => {
  it('runs the eval over each model and prints their pass rates side by side', async () => {
    const created = await api.call('POST', '/v1/evals', {
      json: {
        name: 'tickets',
        data_source_config: {
          type: 'custom',
          item_schema: {
            type: 'object',
            properties: { ticket: { type: 'string' }, label: { type: 'string' } },
            required: ['ticket', 'label'],
          },
          include_sample_schema: true,
        },
        testing_criteria: [
          {
            type: 'string_check',
            name: 'label',
            input: '{{sample.output_text}}',
            reference: '{{item.label}}',
            operation: 'eq',
          },
          {
            type: 'text_similarity',
            name: 'close',
            input: '{{sample.output_text}}',
            reference: '{{item.label}}',
            evaluation_metric: 'fuzzy_match',
            pass_threshold: 0.9,
          },
        ],
      },
    });
    expect(created.status).toBe(201);
    const evalId = (await created.json()).id as string;
    const rows = JSON.stringify(tickets.map(([ticket, label]) => ({ item: { ticket, label } })));
    const messages = JSON.stringify([
      { role: 'system', content: 'Label the ticket Hardware or Software.' },
      { role: 'user', content: '{{item.ticket}}' },
    ]);

    const out = await cli([
      'evals',
      'compare',
      evalId,
      '--models',
      'gpt-4o-mini,gpt-4.1-mini',
      '--rows',
      rows,
      '--input-messages',
      messages,
      '--interval',
      '200',
    ]);
    expect(out.stderr).not.toMatch(/error/i);
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual([
      'model',
      'status',
      'passed',
      'label',
      'close',
      'errored',
      'run',
    ]);
    const byModel = Object.fromEntries(lines.slice(1).map((l) => [l.split(/\s+/)[0], l.split(/\s{2,}/)]));
    // 2 of 5 tickets are Software: the always-Software model passes 40 %, the other all of them.
    expect(byModel['gpt-4o-mini'].slice(1, 6)).toEqual(['completed', '40.0%', '40.0%', '40.0%', '0']);
    expect(byModel['gpt-4.1-mini'].slice(1, 6)).toEqual(['completed', '100.0%', '100.0%', '100.0%', '0']);
    // Each model was sampled once per row, with the rendered prompt.
    const asked = openai.chatRequests.filter((r) => r.model === 'gpt-4.1-mini');
    expect(asked.map((r) => r.messages.at(-1)?.content).sort()).toEqual(tickets.map(([t]) => t).sort());

    // The same table from the runs the API kept.
    const runs = await cli(['evals', 'runs', evalId]);
    expect(runs.code).toBe(0);
    expect(runs.stdout).toContain('gpt-4.1-mini');
    expect(runs.stdout).toContain('100.0%');
  });

  it('names the model no one here can sample, as the API says it, and exits 1', async () => {
    const list = await api.call('GET', '/v1/evals');
    const evalId = (await list.json()).data[0].id as string;
    const out = await cli([
      'evals',
      'compare',
      evalId,
      '--models',
      'not-a-model',
      '--rows',
      '[{"item":{"ticket":"x","label":"Software"}}]',
      '--input-messages',
      '[{"role":"user","content":"{{item.ticket}}"}]',
    ]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('data_source.model');
    expect(out.stderr).toContain('not-a-model');
  });

  it("--job compares the job's base model, its fine-tuned model and each kept checkpoint", async () => {
    const base = 'gpt-4o-mini-2024-07-18';
    const tuned = `ft:${base}:tenant-a::abc123`;
    await api.env.stores.jobs.create(
      jobRecord({
        id: 'ftjob-cmp',
        provider: 'openai',
        model: base,
        status: 'succeeded',
        fineTunedModel: tuned,
      }),
    );
    for (const step of [20, 10])
      await api.env.stores.checkpoints.put({
        id: `ftckpt-cmp-${step}`,
        jobId: 'ftjob-cmp',
        tenantId: 'tenant-a',
        createdAt: 1_700_000_000 + step,
        stepNumber: step,
        metrics: {},
        fineTunedModelCheckpoint: `${tuned}:ckpt-step-${step}`,
        blobPrefix: `checkpoints/ftjob-cmp/step-${String(step).padStart(8, '0')}/`,
      });
    const evalId = (await (await api.call('GET', '/v1/evals')).json()).data[0].id as string;
    const rows = JSON.stringify(tickets.map(([ticket, label]) => ({ item: { ticket, label } })));
    const out = await cli([
      'evals',
      'compare',
      evalId,
      '--job',
      'ftjob-cmp',
      '--rows',
      rows,
      '--input-messages',
      '[{"role":"user","content":"{{item.ticket}}"}]',
      '--interval',
      '200',
    ]);
    expect(out.code).toBe(0);
    const table = out.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s{2,}/).slice(0, 3));
    expect(table).toEqual([
      [base, 'completed', '40.0%'],
      [tuned, 'completed', '100.0%'],
      [`${tuned}:ckpt-step-10`, 'completed', '100.0%'],
      [`${tuned}:ckpt-step-20`, 'completed', '100.0%'],
    ]);
  });
});
