/**
 * A real sweep end to end on the embedded stack (`startLocalStack`, what `npm start` runs): files
 * uploaded over HTTP, a sweep created over HTTP, every trial a runner process (the real trainer on
 * the built-in base model, runner/base-models/tuneplane-tiny-char) started by the local dispatcher,
 * evaluations read by the sweep controller, the poorer trials stopped by ASHA, and the sweep
 * finished with its best trial on the sweep object and a signed fine_tuning.sweep.succeeded webhook.
 * Half way, the service restarts under the sweep.
 *
 * Kept small for CI (2 cores): the sentiment sentences as prompt → completion (" positive" /
 * " negative"), 160 training and 40 validation examples, 3 epochs (10 or 5 steps each), learning
 * rate × warm-up × batch size, 5 trials, 2 at a time. Measured: about 35 s of CPU per trial; the
 * whole test took 41 s on the shared 2-core machine when quiet, 3 min when busy with other work.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { median } from '../../../functions/domain/sweeps';
import { parseLocalConfig } from '../../../infra/local/config';
import { localLogger } from '../../../infra/local/logger';
import { startLocalStack, type LocalStack } from '../../../infra/local/stack';
import { loadAddon } from '../../../runner/native/addon';
import { sentimentSplit, toJsonl } from '../runner/fixtures';
import { stackClient } from '../../support/stack-client';

let stack: LocalStack;
let dataDir: string;
let receiver: Server;
let receiverUrl: string;
let secret: string;
const received: { body: string; headers: Record<string, string> }[] = [];
/** Each runner's backend line, which the stack logs even with runner logs off. */
const backends: { job_id: string; line: string }[] = [];
const base = localLogger();
const logger = {
  ...base,
  info(message: string, detail?: Record<string, unknown>) {
    if (message === 'runner backend') backends.push(detail as { job_id: string; line: string });
    base.info(message, detail);
  },
};

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
}
const API_KEY = 'tp_sweep_e2e_key_0123456789';

const { call } = stackClient(() => stack.baseUrl, API_KEY);

const stackConfig = () =>
  parseLocalConfig({
    PORT: '0',
    TUNEPLANE_DATA_DIR: dataDir,
    TUNEPLANE_API_KEY: API_KEY,
    TUNEPLANE_MAX_CONCURRENT_JOBS: '2',
    TUNEPLANE_WEBHOOKS_ALLOW_LOOPBACK: 'true',
    TUNEPLANE_BASE_MODELS_DIR: path.resolve('runner/base-models'),
  });

async function upload(name: string, content: string): Promise<string> {
  const form = new FormData();
  form.append('purpose', 'fine-tune');
  form.append('file', new File([content], name, { type: 'application/jsonl' }));
  const res = await fetch(`${stack.baseUrl}/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}` },
    body: form,
  });
  const json = (await res.json()) as { id: string; status: string; format: string };
  expect(res.status).toBe(200);
  expect(json).toMatchObject({ status: 'processed', format: 'prompt_completion' });
  return json.id;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tuneplane-sweep-e2e-'));
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({
        body,
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  stack = await startLocalStack(stackConfig(), { logger });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await new Promise((r) => receiver?.close(r));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a real sweep on the embedded stack', () => {
  it('runs trials with the real runner, prunes with ASHA, and its best trial beats the median trial', async () => {
    expect(stack.baseModels).toContain('tuneplane-tiny-char');
    const endpoint = await call('POST', '/webhook_endpoints', {
      url: receiverUrl,
      enabled_events: ['fine_tuning.sweep.succeeded'],
    });
    expect(endpoint.status).toBe(200);
    secret = endpoint.json.secret;
    const { train, test } = sentimentSplit();
    const pc = (s: { text: string; label: string }) => ({
      prompt: `Review: ${s.text.slice(0, 40)}\nSentiment:`,
      completion: ` ${s.label}`,
    });
    const trainingFile = await upload('train.jsonl', toJsonl(train.slice(0, 160).map(pc)));
    const validationFile = await upload('valid.jsonl', toJsonl(test.slice(0, 40).map(pc)));

    const created = await call('POST', '/fine_tuning/sweeps', {
      base_job: {
        model: 'tuneplane-tiny-char',
        training_file: trainingFile,
        validation_file: validationFile,
        seed: 11,
        method: {
          type: 'supervised',
          supervised: {
            hyperparameters: {
              n_epochs: 3,
              max_sequence_length: 80,
              eval_interval_steps: 5,
              metrics_interval_steps: 5,
              checkpoint_interval_steps: 1000,
              keep_checkpoints: 1,
            },
          },
        },
      },
      search_space: {
        learning_rate: { type: 'float', low: 1e-5, high: 3e-2, scale: 'log' },
        warmup_steps: { type: 'int', low: 0, high: 10, step: 5 },
        batch_size: { type: 'categorical', choices: [16, 32] },
      },
      objective: { metric: 'valid_loss', goal: 'minimize' },
      strategy: { type: 'random', seed: 5 },
      early_stopping: {
        type: 'asha',
        resource: 'epochs',
        min_resource: 1,
        max_resource: 3,
        reduction_factor: 2,
      },
      limits: { max_trials: 5, max_parallel_trials: 2 },
    });
    expect(created.status).toBe(200);
    const id = created.json.id as string;
    expect(id).toMatch(/^ftsweep-/);

    const started = Date.now();
    // Once the first trial is complete, the service restarts under the sweep (stop, start on the same
    // data): running trials resume, and the controller, which keeps no state in memory, carries on.
    const trialStates = async () =>
      ((await call('GET', `/fine_tuning/sweeps/${id}/trials`)).json.data as { state: string }[]).map(
        (t) => t.state,
      );
    while (!(await trialStates()).includes('complete') && Date.now() - started < 300_000)
      await new Promise((r) => setTimeout(r, 1000));
    const before = await trialStates();
    await stack.stop();
    stack = await startLocalStack(stackConfig(), { logger });
    console.log(
      `restarted with trials ${before.join(', ')}; resumed ${stack.recovered.resumed.length}, requeued ${stack.recovered.requeued.length}`,
    );
    let sweep = (await call('GET', `/fine_tuning/sweeps/${id}`)).json;
    expect(sweep.trial_counts.total).toBeGreaterThanOrEqual(before.length);
    while (sweep.status === 'running' && Date.now() - started < 400_000) {
      await new Promise((r) => setTimeout(r, 1000));
      sweep = (await call('GET', `/fine_tuning/sweeps/${id}`)).json;
    }
    const seconds = (Date.now() - started) / 1000;
    const trials = (await call('GET', `/fine_tuning/sweeps/${id}/trials`)).json.data as {
      id: string;
      state: string;
      objective_value: number | null;
      parameters: Record<string, number>;
      reports: { step: number; value: number }[];
      job_status: string;
    }[];
    console.log(`sweep ${id}: ${sweep.status} (${sweep.status_reason}) in ${seconds.toFixed(1)} s`);
    for (const t of trials) {
      const job = (await call('GET', `/fine_tuning/jobs/${t.id}`)).json;
      const evals = t.reports.map((r) => `${r.step.toFixed(2)}:${r.value.toFixed(4)}`).join(' ');
      console.log(
        `  ${t.state.padEnd(9)} ${String(job.finished_at - job.created_at).padStart(4)} s  ${JSON.stringify(t.parameters)} → ${evals}`,
      );
    }

    // Every trial's runner said which backend it trains on: on the pure-JS path (no OpenBLAS, or
    // TUNEPLANE_NATIVE=off) this sweep takes many times longer than its limit, and this says so.
    for (const b of new Set(backends.map((x) => x.line))) console.log(`  runner backend: ${b}`);
    expect(new Set(backends.map((b) => b.job_id)).size).toBeGreaterThanOrEqual(trials.length);
    if (loadAddon().ok && process.env.TUNEPLANE_NATIVE !== 'off')
      for (const b of backends) expect(b.line).toContain('native kernels via');
    expect(sweep.status).toBe('succeeded');
    expect(sweep.status_reason).toBe('max_trials');
    expect(trials).toHaveLength(5);
    expect(trials.every((t) => ['complete', 'pruned'].includes(t.state))).toBe(true);
    expect(trials.filter((t) => t.state === 'pruned').length).toBeGreaterThanOrEqual(1);
    for (const t of trials.filter((x) => x.state === 'pruned')) expect(t.job_status).toBe('cancelled');
    for (const t of trials.filter((x) => x.state === 'complete')) expect(t.job_status).toBe('succeeded');

    // Each trial's final value (a pruned one's last evaluation); the best trial beats their median.
    const finals = trials.map((t) => t.objective_value ?? t.reports.at(-1)!.value);
    const best = sweep.best_trial;
    expect(best.objective_value).toBe(
      Math.min(...trials.filter((t) => t.state === 'complete').map((t) => t.objective_value!)),
    );
    expect(best.objective_value).toBeLessThan(median(finals));
    expect(best.fine_tuned_model).toMatch(/^ft:tuneplane-tiny-char:/);
    const bestJob = (await call('GET', `/fine_tuning/jobs/${best.fine_tuning_job_id}`)).json;
    expect(bestJob).toMatchObject({ status: 'succeeded', fine_tuned_model: best.fine_tuned_model });
    expect(bestJob.method.supervised.hyperparameters).toMatchObject({ n_epochs: 3, ...best.parameters });
    expect(best.hyperparameters).toMatchObject({ n_epochs: 3, max_sequence_length: 80, ...best.parameters });

    // The sweep's end reached the receiver once, signed (Standard Webhooks, verified by its own library).
    await until(() => received.length > 0, 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    const events = received.map(
      (r) => new Webhook(secret).verify(r.body, r.headers) as { type: string; data: { id: string } },
    );
    expect(events.filter((e) => e.type === 'fine_tuning.sweep.succeeded' && e.data.id === id)).toHaveLength(
      1,
    );
  }, 420_000);
});
