/**
 * `npm run bench:evals`: eval run throughput on the embedded stack (dynalite and s3rver over HTTP,
 * the same executor the local worker and the Batch entry run), rows with given samples graded by
 * four criteria (string_check, and text_similarity fuzzy_match, bleu, rouge_l), and the graders
 * alone in memory for comparison — so the figure says how much of a run is the store.
 *
 * Sampling a model is not included: on this machine only the inference service could sample our
 * models, and a run's sampling time is that service's throughput. Env: ROWS (2000).
 */
import { DynamoEvalStore } from '../../functions/adapters/dynamodb';
import { buildCriteria } from '../../functions/domain/evals/definition';
import { executeRun } from '../../functions/domain/evals/runs';
import { createEval, createRun, type EvalServiceDeps } from '../../functions/domain/evals/service';
import { timeSortedIds } from '../../functions/domain/ids';
import { systemClock } from '../../functions/ports/clock';
import type { EvalCreate } from '../../openapi/schemas/eval';
import { sampleNamespace } from '../../functions/domain/evals/template';
import { startEmbedded } from '../support/embedded';
import { fileRecord } from '../support/records';

const ROWS = Number(process.env.ROWS ?? 2000);
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
  } finally {
    await env.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
