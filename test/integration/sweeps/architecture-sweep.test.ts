/**
 * Architecture as a tunable, end to end on the embedded stack (`startLocalStack`): a config-only
 * base model created over HTTP (POST /v1/models: a config.json and the built-in model's tokenizer,
 * no weights), then a grid sweep over attention_type × position_embedding_type whose every trial is
 * a real runner process training that model from random initialisation with its trial's
 * architecture. Kept small for CI: a 2-layer, 32-wide model, 40 steps per trial, 4 trials, 2 at a time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLocalConfig } from '../../../infra/local/config';
import { startLocalStack, type LocalStack } from '../../../infra/local/stack';
import { sentimentSplit, toJsonl } from '../runner/fixtures';
import { stackClient } from '../../support/stack-client';

let stack: LocalStack;
let dataDir: string;
const API_KEY = 'tp_arch_sweep_key_0123456789';

const { call, upload } = stackClient(() => stack.baseUrl, API_KEY);

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tuneplane-arch-sweep-'));
  stack = await startLocalStack(
    parseLocalConfig({
      PORT: '0',
      TUNEPLANE_DATA_DIR: dataDir,
      TUNEPLANE_API_KEY: API_KEY,
      TUNEPLANE_MAX_CONCURRENT_JOBS: '2',
      TUNEPLANE_BASE_MODELS_DIR: path.resolve('runner/base-models'),
    }),
  );
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a sweep over architecture on the embedded stack', () => {
  it('trains a config-only model once per attention type × position embedding, each from random init', async () => {
    const model = await call('POST', '/models', {
      config: {
        model_type: 'llama',
        vocab_size: 103,
        hidden_size: 32,
        intermediate_size: 64,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        max_position_embeddings: 96,
      },
      tokenizer: 'tuneplane-tiny-char',
      suffix: 'arch',
    });
    expect(model.status).toBe(200);
    expect(model.json).toMatchObject({ untrained: true });

    const { train, test } = sentimentSplit();
    const text = (s: { text: string; label: string }) => ({
      prompt: `Review: ${s.text.slice(0, 40)}\nSentiment:`,
      completion: ` ${s.label}`,
    });
    const trainingFile = await upload('train.jsonl', toJsonl(train.slice(0, 80).map(text)));
    const validationFile = await upload('valid.jsonl', toJsonl(test.slice(0, 20).map(text)));

    // A pretrained model's architecture cannot be searched: its weights fix it.
    const refused = await call('POST', '/fine_tuning/sweeps', {
      base_job: {
        model: 'tuneplane-tiny-char',
        training_file: trainingFile,
        validation_file: validationFile,
      },
      search_space: { attention_type: { type: 'categorical', choices: ['full', 'linear'] } },
      objective: { metric: 'valid_loss', goal: 'minimize' },
    });
    expect(refused.status).toBe(400);
    expect(refused.json.error.param).toBe('search_space.attention_type');

    const created = await call('POST', '/fine_tuning/sweeps', {
      base_job: {
        model: model.json.id,
        training_file: trainingFile,
        validation_file: validationFile,
        seed: 3,
        method: {
          type: 'supervised',
          supervised: {
            hyperparameters: {
              n_epochs: 2,
              batch_size: 4,
              learning_rate: 3e-3,
              max_sequence_length: 80,
              eval_interval_steps: 20,
              metrics_interval_steps: 10,
              checkpoint_interval_steps: 1000,
              keep_checkpoints: 1,
            },
          },
        },
      },
      search_space: {
        attention_type: { type: 'categorical', choices: ['full', 'linear'] },
        position_embedding_type: { type: 'categorical', choices: ['rope', 'none'] },
      },
      objective: { metric: 'valid_loss', goal: 'minimize' },
      strategy: { type: 'grid' },
      limits: { max_trials: 4, max_parallel_trials: 2 },
    });
    expect(created.status).toBe(200);
    const id = created.json.id as string;

    const started = Date.now();
    let sweep = created.json;
    while (sweep.status === 'running' && Date.now() - started < 540_000) {
      await new Promise((r) => setTimeout(r, 1000));
      sweep = (await call('GET', `/fine_tuning/sweeps/${id}`)).json;
    }
    const trials = (await call('GET', `/fine_tuning/sweeps/${id}/trials`)).json.data as {
      id: string;
      state: string;
      objective_value: number | null;
      parameters: Record<string, string>;
    }[];
    for (const t of trials.filter((x) => x.state === 'failed'))
      console.log(JSON.stringify((await call('GET', `/fine_tuning/jobs/${t.id}`)).json.error));
    for (const t of trials)
      console.log(`  ${t.state} ${JSON.stringify(t.parameters)} valid_loss=${t.objective_value?.toFixed(4)}`);
    expect(sweep.status).toBe('succeeded');
    expect(
      trials.map((t) => `${t.parameters.attention_type}/${t.parameters.position_embedding_type}`).sort(),
    ).toEqual(['full/none', 'full/rope', 'linear/none', 'linear/rope']);
    for (const t of trials) {
      expect(t.state).toBe('complete');
      const job = (await call('GET', `/fine_tuning/jobs/${t.id}`)).json;
      expect(job.status).toBe('succeeded');
      expect(job.model_config).toEqual(t.parameters);
      // Trained from random init: the loss starts near ln(103) and falls.
      expect(t.objective_value!).toBeLessThan(Math.log(103));
      // The trained model carries its architecture in its config.json.
      const config = (
        await call('GET', `/models/${encodeURIComponent(job.fine_tuned_model)}/files/config.json`)
      ).json;
      expect(config).toMatchObject(t.parameters);
    }
  }, 600_000);
});
