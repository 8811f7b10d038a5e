/**
 * An eval run survives its executor dying mid-run: the runner's eval entry (runner/entry/eval-run.ts,
 * what AWS Batch runs) is killed with SIGKILL while it samples and grades; another executor takes
 * the run once the dead one's lease runs out, finishes it, and
 *  - never grades a row twice: every output item stored before the kill is unchanged, and each of
 *    those rows was sampled exactly once;
 *  - counts every row exactly once (result_counts and per-criterion results are exact).
 * Also: the entry exits 0 when the run reaches a final status. Sampling goes to OpenAI's models
 * through the stand-in (OpenAI's servers cannot be reached from here).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoEvalStore } from '../../../functions/adapters/dynamodb';
import { openAiSampler } from '../../../functions/adapters/openai/sampler';
import { executeRun } from '../../../functions/domain/evals/runs';
import { createEval, createRun, type EvalServiceDeps } from '../../../functions/domain/evals/service';
import { timeSortedIds } from '../../../functions/domain/ids';
import { systemClock } from '../../../functions/ports/clock';
import type { OutputItemRecord } from '../../../functions/ports/evals';
import { runChild } from '../../support/child';
import { startEmbedded, type Embedded } from '../../support/embedded';
import { startOpenAiStandin, type OpenAiStandin } from '../../support/openai-standin';

const ENTRY = path.resolve('runner/entry/eval-run.ts');
const ROWS = 40;
let env: Embedded;
let openai: OpenAiStandin;
let deps: EvalServiceDeps;
let store: DynamoEvalStore;

beforeAll(async () => {
  env = await startEmbedded();
  openai = await startOpenAiStandin();
  // Even questions get the right answer, odd ones a wrong one.
  openai.answer = (_m, messages) => {
    const n = Number(/q(\d+)/.exec(messages.at(-1)!.content)![1]);
    return n % 2 === 0 ? `a${n}` : 'wrong';
  };
  store = new DynamoEvalStore({ doc: env.clients.doc, table: env.config.table, clock: systemClock });
  deps = {
    evals: store,
    stores: env.stores,
    blobs: env.blobs,
    clock: systemClock,
    ids: timeSortedIds(systemClock),
    sampler: openAiSampler(new OpenAI({ apiKey: 'sk-test', baseURL: openai.baseURL, maxRetries: 0 })),
  };
});
afterAll(async () => {
  await openai?.close();
  await env?.stop();
});

async function newRun(rows: number) {
  const e = await createEval(deps, 'tenant-a', {
    name: 'restart',
    data_source_config: {
      type: 'custom',
      item_schema: { type: 'object', properties: { q: { type: 'string' }, a: { type: 'string' } } },
      include_sample_schema: true,
    },
    testing_criteria: [
      {
        type: 'string_check',
        name: 'right',
        input: '{{sample.output_text}}',
        reference: '{{item.a}}',
        operation: 'eq',
      },
    ],
  });
  return createRun(deps, 'tenant-a', e.id, {
    data_source: {
      type: 'completions',
      model: 'gpt-4.1-nano',
      input_messages: { type: 'template', template: [{ role: 'user', content: '{{item.q}}' }] },
      source: {
        type: 'file_content',
        content: Array.from({ length: rows }, (_, i) => ({ item: { q: `q${i}`, a: `a${i}` } })),
      },
    },
  });
}

const childEnv = (runId: string) => ({
  ...process.env,
  ...env.env,
  TUNEPLANE_EVAL_RUN_ID: runId,
  OPENAI_API_KEY: 'sk-test',
  OPENAI_BASE_URL: openai.baseURL,
  TUNEPLANE_EVAL_LEASE_MS: '1500',
});

async function items(runId: string): Promise<OutputItemRecord[]> {
  return (await store.listOutputItems(runId, { limit: 1000, order: 'asc' })).items;
}

describe('an eval run whose executor is killed mid-run', () => {
  it('is finished by another executor without grading any row twice, and counted exactly', async () => {
    openai.chatDelayMs = 40;
    const run = await newRun(ROWS);
    const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', ENTRY], {
      env: childEnv(run.id),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise((resolve) => child.once('close', resolve));
    let before: OutputItemRecord[] = [];
    for (let i = 0; i < 600 && before.length < 10; i++) {
      await new Promise((r) => setTimeout(r, 50));
      before = await items(run.id);
    }
    child.kill('SIGKILL');
    await exited;
    before = await items(run.id);
    expect(before.length, stderr).toBeGreaterThanOrEqual(10);
    expect(before.length).toBeLessThan(ROWS);
    const stranded = await store.getRunById(run.id);
    expect(stranded?.status).toBe('in_progress');
    expect(stranded?.lease).not.toBeNull();

    // Another executor: busy while the dead one's lease lasts, then it takes the run over.
    openai.chatDelayMs = 0;
    let outcome = await executeRun({ ...deps, owner: 'second' }, run.id);
    for (let i = 0; i < 100 && outcome === 'busy'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      outcome = await executeRun({ ...deps, owner: 'second' }, run.id);
    }
    expect(outcome).toBe('completed');

    const done = await store.getRunById(run.id);
    expect(done?.counts).toEqual({ total: ROWS, passed: ROWS / 2, failed: ROWS / 2, errored: 0 });
    expect(done?.perCriteria).toEqual([{ label: 'right', passed: ROWS / 2, failed: ROWS / 2 }]);
    expect(done?.usage['gpt-4.1-nano'].invocation_count).toBe(ROWS);
    const after = await items(run.id);
    expect(after.map((i) => i.datasource_item_id)).toEqual(Array.from({ length: ROWS }, (_, i) => i));
    for (const item of before) expect(after[item.datasource_item_id]).toEqual(item);
    const sampled = (q: string) => openai.chatRequests.filter((r) => r.messages.at(-1)?.content === q).length;
    for (const item of before) expect(sampled(String(item.datasource_item.q))).toBe(1);
    const outbox = await env.stores.outbox.listPending(100);
    expect(outbox.filter((o) => o.subjectId === run.id).map((o) => o.type)).toEqual(['eval.run.succeeded']);
  });

  it('the entry runs a run to the end and exits 0; a run that is final already exits 0 at once', async () => {
    const run = await newRun(5);
    const first = await runChild(
      process.execPath,
      ['--openssl-legacy-provider', '--import', 'tsx', ENTRY],
      childEnv(run.id),
    );
    expect(first.code, first.stderr).toBe(0);
    expect((await store.getRunById(run.id))?.status).toBe('completed');
    const again = await runChild(
      process.execPath,
      ['--openssl-legacy-provider', '--import', 'tsx', ENTRY],
      childEnv(run.id),
    );
    expect(again.code).toBe(0);
    const bad = await runChild(process.execPath, ['--import', 'tsx', ENTRY], {
      ...process.env,
      TUNEPLANE_EVAL_RUN_ID: 'x',
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/TUNEPLANE_EVAL_RUN_ID: must be an eval run id/);
  });
});
