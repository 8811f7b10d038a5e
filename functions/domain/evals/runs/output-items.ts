/**
 * One data source row → one output item: sample the model (completions sources) or take the row's
 * sample, grade it with every criterion, and say whether it passed. The item's id is derived from
 * the run and the row, so a resumed run finds the rows it already graded.
 */
import { createHash } from 'node:crypto';
import type { CompletionsRunDataSource } from '../../../../openapi/schemas/eval-run';
import type { ModelSampler, SampleMessage, SampleResult } from '../../../ports/sampler';
import type { OutputItemRecord } from '../../../ports/evals';
import type { TenantId } from '../../records';
import { GradeError, addUsage, mergeUsage, type Grader, type UsageByModel } from '../graders';
import { renderMessages } from '../graders/judge';
import { TemplateError, parseReference, resolve, sampleNamespace, type SampleNamespace } from '../template';

const runTag = (runId: string) => createHash('sha256').update(runId).digest('hex').slice(0, 16);

/** `outputitem_` + 16 hex of the run + the row index (8 digits): the same row of a run, the same id. */
export function outputItemId(runId: string, index: number): string {
  return `outputitem_${runTag(runId)}${String(index).padStart(8, '0')}`;
}

/** The row index an output item id of this run names, or null when it is not one of the run's. */
export function parseOutputItemId(runId: string, id: string): number | null {
  const m = /^outputitem_([0-9a-f]{16})(\d{8})$/.exec(id);
  if (!m || m[1] !== runTag(runId)) return null;
  return Number(m[2]);
}

export interface Row {
  index: number;
  item: Record<string, unknown>;
  sample?: Record<string, unknown>;
  /** Why the row could not be read (bad JSON, not matching the item schema). */
  problem?: string;
}

export interface GradeRowDeps {
  tenantId: TenantId;
  runId: string;
  evalId: string;
  graders: Grader[];
  sampler?: ModelSampler;
  nowS: number;
  signal?: AbortSignal;
}

export interface GradedRow {
  item: OutputItemRecord;
  usage: UsageByModel;
}

const EMPTY_USAGE = { total_tokens: 0, completion_tokens: 0, prompt_tokens: 0, cached_tokens: 0 };

function promptOf(ds: CompletionsRunDataSource, item: Record<string, unknown>): SampleMessage[] {
  const im = ds.input_messages;
  if (im.type === 'template') return renderMessages(im.template, { item });
  const value = resolve(parseReference(im.item_reference), { item });
  if (!Array.isArray(value))
    throw new TemplateError(`${im.item_reference} is not a list of messages`, im.item_reference);
  return value.map((m: { role?: unknown; content?: unknown }) => ({
    role: (['system', 'developer', 'user', 'assistant'].includes(String(m.role))
      ? m.role
      : 'user') as SampleMessage['role'],
    content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? ''),
  }));
}

function givenSample(sample: Record<string, unknown>): SampleNamespace {
  const text = typeof sample.output_text === 'string' ? sample.output_text : '';
  return { ...sampleNamespace(text), ...sample } as SampleNamespace;
}

/** Samples (when the source says so) and grades one row. Never throws for a row's own problems. */
export async function gradeRow(
  deps: GradeRowDeps,
  ds: { type: 'jsonl' } | CompletionsRunDataSource,
  row: Row,
): Promise<GradedRow> {
  let usage: UsageByModel = {};
  const params = ds.type === 'completions' ? ds.sampling_params : undefined;
  const base: OutputItemRecord = {
    object: 'eval.run.output_item',
    id: outputItemId(deps.runId, row.index),
    run_id: deps.runId,
    eval_id: deps.evalId,
    created_at: deps.nowS,
    status: 'error',
    datasource_item_id: row.index,
    datasource_item: row.item,
    results: [],
    sample: {
      input: [],
      output: [],
      finish_reason: '',
      model: ds.type === 'completions' ? ds.model : '',
      usage: EMPTY_USAGE,
      error: null,
      temperature: params?.temperature ?? 1,
      max_completion_tokens: params?.max_completion_tokens ?? 0,
      top_p: params?.top_p ?? 1,
      seed: params?.seed ?? 42,
    },
    tenantId: deps.tenantId,
  };
  if (row.problem) {
    base.sample.error = { code: 'invalid_row', message: row.problem };
    base.usageByModel = usage;
    return { item: base, usage };
  }

  let sample: SampleNamespace | null = null;
  if (ds.type === 'completions') {
    let reply: SampleResult;
    try {
      const messages = promptOf(ds, row.item);
      base.sample.input = messages;
      if (!deps.sampler) throw new Error(`no model named "${ds.model}" can be sampled here`);
      reply = await deps.sampler.complete({
        tenantId: deps.tenantId,
        model: ds.model,
        messages,
        temperature: params?.temperature ?? 1,
        top_p: params?.top_p ?? 1,
        seed: params?.seed ?? 42,
        max_completion_tokens: params?.max_completion_tokens,
        signal: deps.signal,
      });
    } catch (err) {
      // Stopped by the executor: not this row's failure, it is graded again on resume.
      if (deps.signal?.aborted) throw err;
      base.sample.error = {
        code: err instanceof TemplateError ? 'invalid_variable' : 'sampling_failed',
        message: (err as Error).message,
      };
      base.usageByModel = usage;
      return { item: base, usage };
    }
    usage = addUsage(usage, ds.model, reply.usage);
    base.sample.output = [{ role: 'assistant', content: reply.text }];
    base.sample.finish_reason = reply.finish_reason;
    base.sample.model = reply.model;
    base.sample.usage = reply.usage;
    sample = sampleNamespace(reply.text);
  } else if (row.sample) {
    sample = givenSample(row.sample);
    base.sample.output = [{ role: 'assistant', content: sample.output_text }];
    base.sample.finish_reason = 'stop';
  }

  let errored = false;
  let allPassed = true;
  for (const grader of deps.graders) {
    try {
      const r = await grader.grade({
        tenantId: deps.tenantId,
        sampler: deps.sampler,
        signal: deps.signal,
        vars: { item: row.item, sample },
      });
      usage = mergeUsage(usage, r.usage);
      allPassed &&= r.passed;
      base.results.push({
        name: grader.name,
        type: grader.type,
        score: r.score,
        passed: r.passed,
        sample: r.detail,
      });
    } catch (err) {
      if (!(err instanceof GradeError)) throw err;
      usage = mergeUsage(usage, err.usage);
      errored = true;
      allPassed = false;
      base.results.push({
        name: grader.name,
        type: grader.type,
        score: 0,
        passed: false,
        sample: { error: { code: err.kind, message: err.message } },
      });
      base.sample.error ??= { code: err.kind, message: `${grader.name}: ${err.message}` };
    }
  }
  base.status = errored ? 'error' : allPassed ? 'pass' : 'fail';
  base.usageByModel = usage;
  return { item: base, usage };
}
