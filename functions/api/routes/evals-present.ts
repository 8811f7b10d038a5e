/** Eval records → the OpenAI-compatible objects of the contract (openapi/schemas/eval*.ts). */
import type { EvalObject } from '../../../openapi/schemas/eval';
import type { EvalRunObject, OutputItemObject } from '../../../openapi/schemas/eval-run';
import type { EvalRecord, EvalRunRecord, OutputItemRecord } from '../../ports/evals';
import { reportPath } from '../../domain/evals/report';

/** OpenAI's `sample` namespace schema, shown in the data source config when samples are expected. */
const SAMPLE_SCHEMA = {
  type: 'object',
  properties: {
    model: { type: 'string' },
    choices: { type: 'array', items: { type: 'object' } },
    output_text: { type: 'string' },
    output_json: { type: 'object' },
    output_tools: { type: 'array', items: { type: 'object' } },
  },
  required: ['model', 'choices', 'output_text'],
};

export function presentEval(e: EvalRecord): EvalObject {
  return {
    object: 'eval',
    id: e.id,
    name: e.name,
    data_source_config: {
      type: 'custom',
      schema: {
        type: 'object',
        properties: { item: e.itemSchema, ...(e.includeSampleSchema ? { sample: SAMPLE_SCHEMA } : {}) },
        required: ['item', ...(e.includeSampleSchema ? ['sample'] : [])],
      },
    },
    testing_criteria: e.testingCriteria,
    created_at: e.createdAt,
    metadata: Object.keys(e.metadata).length ? e.metadata : null,
  };
}

export function presentRun(r: EvalRunRecord, origin: string): EvalRunObject {
  return {
    object: 'eval.run',
    id: r.id,
    eval_id: r.evalId,
    status: r.status,
    model: r.model,
    name: r.name,
    created_at: r.createdAt,
    report_url: `${origin}${reportPath(r)}`,
    result_counts: r.counts,
    per_model_usage: Object.entries(r.usage).map(([model_name, u]) => ({ model_name, ...u })),
    per_testing_criteria_results: r.perCriteria.map((c) => ({
      testing_criteria: c.label,
      passed: c.passed,
      failed: c.failed,
    })),
    data_source: r.dataSource as unknown as Record<string, unknown>,
    metadata: Object.keys(r.metadata).length ? r.metadata : null,
    error: r.error,
  };
}

export function presentOutputItem(i: OutputItemRecord): OutputItemObject {
  const { tenantId: _t, usageByModel: _u, ...item } = i;
  return item;
}
