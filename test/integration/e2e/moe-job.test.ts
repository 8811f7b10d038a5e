/**
 * A mixture of experts trained through the API on the embedded stack (`startLocalStack`): a dense
 * config-only base model created over HTTP (POST /v1/models), a job whose model_config turns its
 * feed-forward into Mixtral's mixture of experts, trained by a real runner process from random
 * initialisation. The job's metrics events and its results file carry the load-balancing loss
 * (train_aux_loss), the tuned model is saved as HF's mixtral type, and it answers a completion
 * through the openai SDK (KV-cache decoding of the experts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLocalConfig } from '../../../infra/local/config';
import { startLocalStack, type LocalStack } from '../../../infra/local/stack';
import { sentimentSplit, toJsonl } from '../runner/fixtures';
import { stackClient } from '../../support/stack-client';

let stack: LocalStack;
let client: OpenAI;
let dataDir: string;
const API_KEY = 'tp_moe_job_key_0123456789';

const { call } = stackClient(() => stack.baseUrl, API_KEY);

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tuneplane-moe-job-'));
  stack = await startLocalStack(
    parseLocalConfig({
      PORT: '0',
      TUNEPLANE_DATA_DIR: dataDir,
      TUNEPLANE_API_KEY: API_KEY,
      TUNEPLANE_BASE_MODELS_DIR: path.resolve('runner/base-models'),
    }),
  );
  client = new OpenAI({ apiKey: API_KEY, baseURL: stack.baseUrl, maxRetries: 0 });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a mixture of experts trained through the API', () => {
  it('trains a config-only model with model_config num_local_experts, reporting train_aux_loss', async () => {
    const model = await call('POST', '/models', {
      config: {
        model_type: 'llama',
        vocab_size: 103,
        hidden_size: 32,
        intermediate_size: 32,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        max_position_embeddings: 96,
      },
      tokenizer: 'tuneplane-tiny-char',
      suffix: 'moe',
    });
    expect(model.status).toBe(200);

    const { train } = sentimentSplit();
    const rows = train.slice(0, 64).map((s) => ({
      prompt: `Review: ${s.text.slice(0, 40)}\nSentiment:`,
      completion: ` ${s.label}`,
    }));
    const file = await client.files.create({
      file: new File([toJsonl(rows)], 'train.jsonl'),
      purpose: 'fine-tune',
    });

    // Refused by name before anything runs: k larger than the experts.
    const bad = await call('POST', '/fine_tuning/jobs', {
      model: model.json.id,
      training_file: file.id,
      model_config: { num_local_experts: 2, num_experts_per_tok: 3 },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe('model_config.num_experts_per_tok');

    const created = await call('POST', '/fine_tuning/jobs', {
      model: model.json.id,
      training_file: file.id,
      seed: 5,
      model_config: { num_local_experts: 4, num_experts_per_tok: 2, router_aux_loss_coef: 0.02 },
      method: {
        type: 'supervised',
        supervised: {
          hyperparameters: {
            n_epochs: 2,
            batch_size: 4,
            learning_rate: 3e-3,
            max_sequence_length: 80,
            metrics_interval_steps: 4,
          },
        },
      },
    });
    expect(created.status).toBe(200);
    const id = created.json.id as string;
    const end = Date.now() + 300_000;
    let job = await client.fineTuning.jobs.retrieve(id);
    while (!['succeeded', 'failed', 'cancelled'].includes(job.status) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 500));
      job = await client.fineTuning.jobs.retrieve(id);
    }
    expect(job.error).toBeNull();
    expect(job.status).toBe('succeeded');

    const events = [];
    for await (const e of client.fineTuning.jobs.listEvents(id, { limit: 100 })) events.push(e);
    const metrics = events
      .filter((e) => e.type === 'metrics')
      .map((e) => e.data as Record<string, number>)
      .sort((a, b) => a.step - b.step);
    expect(metrics.length).toBeGreaterThanOrEqual(8);
    for (const m of metrics) {
      // E·Σ f·P is at least about k = 2 (perfect balance) and at most E·k = 8
      expect(m.train_aux_loss).toBeGreaterThan(1.5);
      expect(m.train_aux_loss).toBeLessThan(8);
    }
    console.log(
      '  step train_loss train_aux_loss\n' +
        metrics
          .map((m) => `  ${m.step} ${m.train_loss.toFixed(4)} ${m.train_aux_loss.toFixed(4)}`)
          .join('\n'),
    );
    // From random init over 103 characters: the cross-entropy falls well below ln(103) ≈ 4.63.
    expect(metrics.at(-1)!.train_loss).toBeLessThan(metrics[0].train_loss - 1);

    const csv = await (await client.files.content(job.result_files[0])).text();
    const [header, ...lines] = csv.trim().split('\n');
    const column = header.split(',').indexOf('train_aux_loss');
    expect(column).toBeGreaterThan(0);
    expect(lines.map((l) => Number(l.split(',')[column]))).toEqual(metrics.map((m) => m.train_aux_loss));

    const config = (
      await call('GET', `/models/${encodeURIComponent(job.fine_tuned_model!)}/files/config.json`)
    ).json;
    expect(config).toMatchObject({
      model_type: 'mixtral',
      architectures: ['MixtralForCausalLM'],
      num_local_experts: 4,
      num_experts_per_tok: 2,
    });

    const completion = await client.completions.create({
      model: job.fine_tuned_model!,
      prompt: 'Review: a fine film\nSentiment:',
      max_tokens: 8,
      temperature: 0,
    });
    expect(completion.choices[0].text.length).toBeGreaterThan(0);
  }, 400_000);
});
