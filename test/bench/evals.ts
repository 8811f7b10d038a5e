/**
 * `npm run bench:evals`: eval run throughput on the embedded stack (dynalite and s3rver over HTTP,
 * the same executor the local worker and the Batch entry run), rows with given samples graded by
 * four criteria (string_check, and text_similarity fuzzy_match, bleu, rouge_l), and the graders
 * alone in memory for comparison — so the figure says how much of a run is the store.
 *
 * Then the same executor sampling our own model (the built-in tuneplane-tiny-char, greedy, up to
 * MAX_TOKENS tokens a row) before grading, two ways: through the embedded stack's inference worker
 * process (what `npm start` runs) and with the model served in the executor's own process (what the
 * Batch eval runner does). Env: ROWS (2000), SAMPLED_ROWS (96), MAX_TOKENS (16).
 */
import { DynamoEvalStore } from '../../functions/adapters/dynamodb';
import { buildCriteria } from '../../functions/domain/evals/definition';
import { executeRun } from '../../functions/domain/evals/runs';
import { createEval, createRun, type EvalServiceDeps } from '../../functions/domain/evals/service';
import { timeSortedIds } from '../../functions/domain/ids';
import { systemClock } from '../../functions/ports/clock';
import type { EvalCreate } from '../../openapi/schemas/eval';
import { sampleNamespace } from '../../functions/domain/evals/template';
import path from 'node:path';
import { localInference } from '../../functions/adapters/local/inference';
import { ownModelSampler } from '../../functions/domain/evals/own-models';
import type { Inference } from '../../functions/ports/inference';
import { registerBaseModels } from '../../infra/local/base-models';
import { inProcessInference } from '../../runner/entry/eval-run';
import { startEmbedded, type Embedded } from '../support/embedded';
import { fileRecord } from '../support/records';

const ROWS = Number(process.env.ROWS ?? 2000);
const SAMPLED_ROWS = Number(process.env.SAMPLED_ROWS ?? 96);
const MAX_TOKENS = Number(process.env.MAX_TOKENS ?? 16);
const BASE = 'tuneplane-tiny-char';
const WORDS = 'the a printer screen crashes on save keyboard jams login fails after update again today'.split(
  ' ',
);

function sentence(seed: number, n: number): string {
  let x = seed * 2654435761;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out.push(WORDS[x % WORDS.length]);
  }
  return out.join(' ');
}

const definition: EvalCreate = {
  name: 'bench',
  data_source_config: {
    type: 'custom',
    item_schema: {
      type: 'object',
      properties: { label: { type: 'string' }, reference: { type: 'string' } },
      required: ['label', 'reference'],
    },
    include_sample_schema: true,
  },
  testing_criteria: [
    {
      type: 'string_check',
      name: 'label',
      input: '{{sample.output_text}}',
      reference: '{{item.label}}',
      operation: 'ilike',
    },
    ...(['fuzzy_match', 'bleu', 'rouge_l'] as const).map((metric) => ({
      type: 'text_similarity' as const,
      name: metric,
      input: '{{sample.output_text}}',
      reference: '{{item.reference}}',
      evaluation_metric: metric,
      pass_threshold: 0.3,
    })),
  ],
} as EvalCreate;

const rows = Array.from({ length: ROWS }, (_, i) => ({
  item: { label: i % 2 ? 'hardware' : 'software', reference: sentence(i, 24) },
  sample: { output_text: sentence(i + 7, 24) },
}));

async function main(): Promise<void> {
  // Graders alone: the same criteria over the same rows, in memory.
  const graders = buildCriteria(definition.testing_criteria, definition.data_source_config.item_schema!);
  let t0 = performance.now();
  for (const r of rows)
    for (const g of graders)
      await g.grade({
        vars: { item: r.item, sample: sampleNamespace(r.sample.output_text) },
        tenantId: 'tenant-a',
      });
  const gradersS = (performance.now() - t0) / 1000;

  const env = await startEmbedded();
  try {
    const evals = new DynamoEvalStore({ doc: env.clients.doc, table: env.config.table, clock: systemClock });
    const deps: EvalServiceDeps = {
      evals,
      stores: env.stores,
      blobs: env.blobs,
      clock: systemClock,
      ids: timeSortedIds(systemClock),
    };
    // The rows as an uploaded JSONL file (inline content is for small row sets).
    const jsonl = rows.map((r) => JSON.stringify(r)).join('\n');
    await env.blobs.put('files/tenant-a/file-bench', jsonl, 'application/jsonl');
    await env.stores.files.put(
      fileRecord({ id: 'file-bench', blobKey: 'files/tenant-a/file-bench', bytes: Buffer.byteLength(jsonl) }),
    );
    const e = await createEval(deps, 'tenant-a', definition);
    const run = await createRun(deps, 'tenant-a', e.id, {
      data_source: { type: 'jsonl', source: { type: 'file_id', id: 'file-bench' } },
    });
    t0 = performance.now();
    const outcome = await executeRun({ ...deps, owner: 'bench' }, run.id);
    const runS = (performance.now() - t0) / 1000;
    const done = await evals.getRunById(run.id);
    if (outcome !== 'completed' || done?.status !== 'completed' || done.counts.total !== ROWS)
      throw new Error(`the run did not complete: ${outcome}, ${JSON.stringify(done?.counts)}`);
    console.log(
      `eval run over ${ROWS} rows with given samples, 4 criteria each (string_check, fuzzy_match, bleu, rouge_l)`,
    );
    console.log(`  graders alone, in memory:           ${(ROWS / gradersS).toFixed(0)} rows/s`);
    console.log(
      `  whole run on the embedded stack:    ${(ROWS / runS).toFixed(0)} rows/s (${runS.toFixed(1)} s; one output item put and a progress write per 16 rows, over HTTP to dynalite)`,
    );
    await sampled(env, deps);
  } finally {
    await env.stop();
  }
}

/** A run with a completions source over our base model: rows per second, sampled tokens per second. */
async function sampled(env: Embedded, deps: EvalServiceDeps): Promise<void> {
  await registerBaseModels(
    { models: env.stores.models, blobs: env.blobs, clock: systemClock },
    path.resolve('runner/base-models'),
  );
  const e = await createEval(deps, 'tenant-a', {
    name: 'sampled bench',
    data_source_config: {
      type: 'custom',
      item_schema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
      include_sample_schema: true,
    },
    testing_criteria: [
      { type: 'string_check', name: 'x', input: '{{sample.output_text}}', reference: 'x', operation: 'eq' },
    ],
  });
  const worker = localInference({
    command: [
      process.execPath,
      '--openssl-legacy-provider',
      '--import',
      'tsx',
      path.resolve('runner/entry/serve.ts'),
    ],
    env: { ...env.env, TUNEPLANE_BACKEND: 'cpu' },
  });
  const ways: [string, Inference, number][] = [
    ['inference worker process (embedded stack)', worker, 4],
    [
      // Here the embedded DynamoDB and S3 share this process's thread with the decoder; on Batch the store is remote.
      'in the executor process (Batch eval runner)',
      inProcessInference(env.blobs, {
        backend: 'cpu',
        modelBudgetBytes: 2 ** 30,
        requestBudgetBytes: 256 * 2 ** 20,
        maxActive: 8,
      }),
      8,
    ],
  ];
  console.log(
    `\neval run over ${SAMPLED_ROWS} rows sampling ${BASE} (greedy, up to ${MAX_TOKENS} tokens a row), string_check`,
  );
  try {
    for (const [label, inference, concurrency] of ways) {
      const sampler = ownModelSampler({ stores: env.stores, clock: systemClock, inference });
      const source = (n: number) => ({
        type: 'file_content' as const,
        content: Array.from({ length: n }, (_, i) => ({ item: { q: sentence(i, 3 + (i % 5)) } })),
      });
      const dataSource = (n: number) => ({
        type: 'completions' as const,
        model: BASE,
        input_messages: {
          type: 'template' as const,
          template: [{ role: 'user' as const, content: '{{item.q}}' }],
        },
        sampling_params: { temperature: 0, top_p: 1, seed: 1, max_completion_tokens: MAX_TOKENS },
        source: source(n),
      });
      const run = async (n: number) => {
        const r = await createRun({ ...deps, sampler }, 'tenant-a', e.id, { data_source: dataSource(n) });
        const outcome = await executeRun(
          { ...deps, sampler, owner: 'bench', settings: { concurrency } },
          r.id,
        );
        const done = await deps.evals.getRunById(r.id);
        if (outcome !== 'completed' || done?.counts.errored)
          throw new Error(`the sampled run did not complete: ${outcome}, ${JSON.stringify(done?.counts)}`);
        return done!;
      };
      await run(4); // loads the model (and starts the worker): not what a long run pays per row
      const t0 = performance.now();
      const done = await run(SAMPLED_ROWS);
      const s = (performance.now() - t0) / 1000;
      const tokens = done.usage[BASE].completion_tokens;
      console.log(
        `  ${label.padEnd(44)} ${(SAMPLED_ROWS / s).toFixed(1)} rows/s, ${(tokens / s).toFixed(0)} sampled tokens/s (${s.toFixed(1)} s, ${concurrency} rows at once)`,
      );
    }
  } finally {
    await worker.shutdown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
