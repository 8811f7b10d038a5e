/**
 * Eval runs over our own models as AWS runs them: the API (run creation) checks through the
 * own-model sampler — without an inference service, as in the API Lambda — that the tenant may
 * sample the model it names; the Batch eval entry (runner/entry/eval-run.ts, a child process here
 * as the container's command there) loads the model from the bucket and generates in-process.
 * Against the embedded DynamoDB and S3: a base model, a tenant's `ft:` model and one of its
 * checkpoints (whose weights differ from the base's, so the checkpoint's own weights must be the
 * ones sampled), and a score_model judge that is one of our models. Another tenant naming the
 * `ft:` model or its checkpoint is refused at run creation with a 400 on `data_source.model`.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoEvalStore } from '../../../functions/adapters/dynamodb';
import { ownModelSampler } from '../../../functions/domain/evals/own-models';
import { createEval, createRun, type EvalServiceDeps } from '../../../functions/domain/evals/service';
import { timeSortedIds } from '../../../functions/domain/ids';
import type { CompletionsRunDataSource } from '../../../openapi/schemas/eval-run';
import { ValidationError } from '../../../functions/errors';
import { systemClock } from '../../../functions/ports/clock';
import type { OutputItemRecord } from '../../../functions/ports/evals';
import { registerBaseModels } from '../../../infra/local/base-models';
import { runChild } from '../../support/child';
import { startEmbedded, type Embedded } from '../../support/embedded';
import { jobRecord } from '../../support/records';

const ENTRY = path.resolve('runner/entry/eval-run.ts');
const BASE = 'tuneplane-tiny-char';
const TUNED = `ft:${BASE}:tenant-a:capitals:abc123`;
const CHECKPOINT = `${TUNED}:ckpt-step-4`;
const QUESTIONS = ['To be, or not', 'capital of France?', 'Once upon a time'];

let env: Embedded;
let deps: EvalServiceDeps;
let store: DynamoEvalStore;
let evalId: string;

/** The same tensors with every byte of data zeroed: a model that answers differently. */
function zeroedWeights(safetensors: Uint8Array): Uint8Array {
  const out = new Uint8Array(safetensors);
  const headerBytes = Number(new DataView(out.buffer).getBigUint64(0, true));
  out.fill(0, 8 + headerBytes);
  return out;
}

beforeAll(async () => {
  env = await startEmbedded();
  await registerBaseModels(
    { models: env.stores.models, blobs: env.blobs, clock: systemClock },
    path.resolve('runner/base-models'),
  );
  // A tenant's fine-tuned model (its folder as publishing writes it) and a checkpoint of its job.
  for (const key of await env.blobs.list(`models/${BASE}/`))
    await env.blobs.put(key.replace(`models/${BASE}/`, `models/${TUNED}/`), await env.blobs.get(key));
  await env.stores.models.put({
    id: TUNED,
    tenantId: 'tenant-a',
    createdAt: 1_700_000_000,
    ownedBy: 'tenant-a',
    jobId: 'ftjob-abc123',
    lineage: [BASE],
    blobPrefix: `models/${TUNED}/`,
  });
  await env.stores.jobs.create(
    jobRecord({ id: 'ftjob-abc123', model: BASE, status: 'succeeded', fineTunedModel: TUNED }),
  );
  await env.blobs.put(
    'checkpoints/ftjob-abc123/step-00000004/model.safetensors',
    zeroedWeights(await env.blobs.get(`models/${BASE}/model.safetensors`)),
  );
  await env.stores.checkpoints.put({
    id: 'ftckpt-abc123-4',
    jobId: 'ftjob-abc123',
    tenantId: 'tenant-a',
    createdAt: 1_700_000_000,
    stepNumber: 4,
    metrics: {},
    fineTunedModelCheckpoint: CHECKPOINT,
    blobPrefix: 'checkpoints/ftjob-abc123/step-00000004/',
  });

  store = new DynamoEvalStore({ doc: env.clients.doc, table: env.config.table, clock: systemClock });
  deps = {
    evals: store,
    stores: env.stores,
    blobs: env.blobs,
    clock: systemClock,
    ids: timeSortedIds(systemClock),
    // As in the API Lambda: it can tell which models a tenant may sample, not generate.
    sampler: ownModelSampler({ stores: env.stores, clock: systemClock }),
  };
  const e = await createEval(deps, 'tenant-a', {
    name: 'own models',
    data_source_config: {
      type: 'custom',
      item_schema: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
      include_sample_schema: true,
    },
    testing_criteria: [
      {
        type: 'string_check',
        name: 'says something',
        input: '{{sample.output_text}}',
        reference: '',
        operation: 'ne',
      },
      {
        type: 'score_model',
        name: 'judged by the base model',
        model: BASE,
        input: [{ role: 'user', content: 'Rate from 0 to 1: {{sample.output_text}}' }],
        range: [0, 1],
        sampling_params: { temperature: 0, max_completions_tokens: 6 },
      },
    ],
  });
  evalId = e.id;
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

const dataSource = (model: string): CompletionsRunDataSource => ({
  type: 'completions',
  model,
  input_messages: { type: 'template', template: [{ role: 'user', content: '{{item.question}}' }] },
  sampling_params: { temperature: 0, max_completion_tokens: 8, top_p: 1, seed: 1 },
  source: { type: 'file_content', content: QUESTIONS.map((question) => ({ item: { question } })) },
});

async function runOnBatch(runId: string) {
  return runChild(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', ENTRY], {
    ...process.env,
    ...env.env,
    TUNEPLANE_EVAL_RUN_ID: runId,
    TUNEPLANE_BACKEND: 'cpu',
  });
}

const outputs = async (runId: string) =>
  (await store.listOutputItems(runId, { limit: 100, order: 'asc' })).items.map(
    (i: OutputItemRecord) => i.sample.output[0]?.content as string,
  );

describe('eval runs over our own models in the Batch eval runner', () => {
  it('samples the base model, the ft: model and its checkpoint in-process; our judge grades them', async () => {
    const runs = await Promise.all(
      [BASE, TUNED, CHECKPOINT].map((m) =>
        createRun(deps, 'tenant-a', evalId, { data_source: dataSource(m) }),
      ),
    );
    const results = await Promise.all(runs.map((r) => runOnBatch(r.id)));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const [base, tuned, ckpt] = await Promise.all(runs.map((r) => store.getRunById(r.id)));
    for (const [run, model] of [
      [base, BASE],
      [tuned, TUNED],
      [ckpt, CHECKPOINT],
    ] as const) {
      expect(run?.status, JSON.stringify(run?.error)).toBe('completed');
      expect(run?.counts.total).toBe(QUESTIONS.length);
      expect(run?.counts.errored).toBe(0);
      // The sampled model and the judge, each once per row.
      expect(run?.usage[model]?.invocation_count).toBe(
        model === BASE ? 2 * QUESTIONS.length : QUESTIONS.length,
      );
      if (model !== BASE) expect(run?.usage[BASE]?.invocation_count).toBe(QUESTIONS.length);
    }
    const baseOut = await outputs(base!.id);
    expect(baseOut.every((t) => t.length > 0)).toBe(true);
    // Same weights as its base (copied), greedy: the same text. The checkpoint's weights are its own.
    expect(await outputs(tuned!.id)).toEqual(baseOut);
    expect(await outputs(ckpt!.id)).not.toEqual(baseOut);
    // The judge's reply is on each item's result.
    const item = (await store.listOutputItems(base!.id, { limit: 1, order: 'asc' })).items[0];
    const judged = item.results.find((r) => r.name === 'judged by the base model')!;
    expect(typeof (judged.sample as { output: unknown }).output).toBe('string');
  }, 180_000);

  it("another tenant naming the ft: model or its checkpoint is a 400 on data_source.model; base models are everyone's", async () => {
    const e = await createEval(deps, 'tenant-b', {
      data_source_config: { type: 'custom', item_schema: { type: 'object' }, include_sample_schema: true },
      testing_criteria: [
        { type: 'string_check', name: 'x', input: '{{sample.output_text}}', reference: 'a', operation: 'eq' },
      ],
    });
    for (const model of [TUNED, CHECKPOINT, `${TUNED}:ckpt-step-5`, 'ft:nope']) {
      const err = await createRun(deps, 'tenant-b', e.id, {
        data_source: { ...dataSource(model), source: { type: 'file_content', content: [{ item: {} }] } },
      }).catch((x: unknown) => x);
      expect(err, model).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).param).toBe('data_source.model');
    }
    const ok = await createRun(deps, 'tenant-b', e.id, {
      data_source: { ...dataSource(BASE), source: { type: 'file_content', content: [{ item: {} }] } },
    });
    expect(ok.status).toBe('queued');
  });
});
