/**
 * The evals service: evals (create, list, get, update, delete) and their runs (create, list, get,
 * cancel, delete, output items), all scoped to a tenant — another tenant's eval or run is a 404.
 * A new run is queued and handed to `onRunQueued` (the composition root's executor: the local
 * worker, or a Batch job on AWS); it moves on through ./runs.
 */
import { randomBytes } from 'node:crypto';
import type { EvalCreate, EvalUpdate } from '../../../openapi/schemas/eval';
import type { EvalRunCreate, RunDataSource } from '../../../openapi/schemas/eval-run';
import { NotFoundError, ValidationError } from '../../errors';
import type { BlobStore } from '../../ports/blobs';
import type { Clock, IdGenerator } from '../../ports/clock';
import type {
  EvalListOptions,
  EvalRecord,
  EvalRunRecord,
  EvalRunStatus,
  EvalStore,
  OutputItemRecord,
} from '../../ports/evals';
import type { ModelSampler } from '../../ports/sampler';
import type { FileStore, OutboxStore } from '../../ports/store';
import type { Page, TenantId } from '../records';
import {
  buildCriteria,
  checkInputTemplate,
  checkItemSchema,
  criteriaUseSample,
  criterionLabels,
  itemProblem,
} from './definition';
import { parseOutputItemId } from './runs/output-items';
import { isTerminalRun } from './runs/transitions';
import { transitionRun } from './runs/transition-run';
import { parseReference, TemplateError } from './template';

export interface EvalServiceDeps {
  evals: EvalStore;
  stores: { files: FileStore; outbox: OutboxStore };
  blobs: BlobStore;
  clock: Clock;
  ids: IdGenerator;
  sampler?: ModelSampler;
  /** A run was queued: start executing it (the local worker's kick, a Batch submission). */
  onRunQueued?: (run: EvalRunRecord) => Promise<void> | void;
  /**
   * A run was cancelled; `run` is the record as it was before (its status says whether its
   * executor had started). The executor stops by itself at its next write; this frees what it
   * holds sooner — a Batch job not started yet is cancelled instead of starting only to exit.
   */
  onRunCanceled?: (run: EvalRunRecord) => Promise<void> | void;
  onOutbox?: () => void;
}

/** Inline rows (file_content) live in the run's record; larger row sets go in a file. */
export const MAX_INLINE_CONTENT_BYTES = 256 * 1024;

const nowS = (deps: { clock: Clock }) => Math.floor(deps.clock.nowMs() / 1000);

export async function createEval(
  deps: EvalServiceDeps,
  tenantId: TenantId,
  req: EvalCreate,
): Promise<EvalRecord> {
  const dsc = req.data_source_config;
  checkItemSchema(dsc.item_schema, 'data_source_config.item_schema');
  buildCriteria(req.testing_criteria, dsc.item_schema);
  const t = nowS(deps);
  const record: EvalRecord = {
    id: deps.ids.next('eval_'),
    tenantId,
    name: req.name ?? 'Untitled eval',
    itemSchema: dsc.item_schema,
    includeSampleSchema: dsc.include_sample_schema,
    testingCriteria: req.testing_criteria,
    metadata: req.metadata ?? {},
    createdAt: t,
    updatedAt: t,
  };
  await deps.evals.createEval(record);
  return record;
}

export async function getEval(
  deps: Pick<EvalServiceDeps, 'evals'>,
  tenantId: TenantId,
  id: string,
): Promise<EvalRecord> {
  const e = await deps.evals.getEval(tenantId, id);
  if (!e) throw new NotFoundError('eval', id, 'eval_id');
  return e;
}

export function listEvals(
  deps: EvalServiceDeps,
  tenantId: TenantId,
  opts: EvalListOptions,
): Promise<Page<EvalRecord>> {
  return deps.evals.listEvals(tenantId, opts);
}

export async function updateEval(
  deps: EvalServiceDeps,
  tenantId: TenantId,
  id: string,
  req: EvalUpdate,
): Promise<EvalRecord> {
  await getEval(deps, tenantId, id);
  return deps.evals.updateEval(tenantId, id, {
    ...(req.name !== undefined ? { name: req.name } : {}),
    ...(req.metadata !== undefined ? { metadata: req.metadata ?? {} } : {}),
    updatedAt: nowS(deps),
  });
}

export async function deleteEval(deps: EvalServiceDeps, tenantId: TenantId, id: string): Promise<void> {
  await getEval(deps, tenantId, id);
  await deps.evals.updateEval(tenantId, id, { deleted: true, updatedAt: nowS(deps) });
}

/** The model a data source samples, or null. */
export const sampledModelOf = (ds: RunDataSource): string | null =>
  ds.type === 'completions' ? ds.model : null;

/**
 * The checks a run's data source must pass at creation, each a 4xx naming the field. `sampledModel:
 * false` leaves out whether the model can be sampled (a sweep checks its eval objective before the
 * trial models it samples exist).
 */
export async function checkDataSource(
  deps: Pick<EvalServiceDeps, 'stores' | 'sampler'>,
  tenantId: TenantId,
  e: EvalRecord,
  ds: RunDataSource,
  opts: { sampledModel?: boolean } = {},
): Promise<void> {
  const source = ds.source;
  if (source.type === 'file_id') {
    const file = await deps.stores.files.get(tenantId, source.id);
    if (!file || file.deleted) throw new NotFoundError('file', source.id, 'data_source.source.id');
  }
  const usesSample = criteriaUseSample(e.testingCriteria);
  if (source.type === 'file_content') {
    // The run record keeps inline rows, and one table item holds at most 400 KB.
    const bytes = Buffer.byteLength(JSON.stringify(source.content));
    if (bytes > MAX_INLINE_CONTENT_BYTES)
      throw new ValidationError(
        `data_source.source.content: inline rows are limited to ${MAX_INLINE_CONTENT_BYTES / 1024} KiB of JSON (these are ${Math.ceil(bytes / 1024)} KiB); upload them as a JSONL file and use {"type": "file_id"}`,
        'data_source.source.content',
      );
    const validator = checkItemSchema(e.itemSchema, 'data_source_config.item_schema');
    source.content.forEach((row, i) => {
      const problem = itemProblem(validator, row.item);
      if (problem)
        throw new ValidationError(
          `data_source.source.content[${i}].item does not match the eval's item schema: ${problem}`,
          `data_source.source.content[${i}].item`,
        );
      if (ds.type === 'jsonl' && usesSample && !row.sample)
        throw new ValidationError(
          `data_source.source.content[${i}].sample: the testing criteria read {{sample.…}}, so each row needs a sample (or sample a model with a completions data source)`,
          `data_source.source.content[${i}].sample`,
        );
    });
  }
  if (ds.type === 'completions') {
    if (opts.sampledModel !== false && !(await deps.sampler?.serves(tenantId, ds.model)))
      throw new ValidationError(
        `data_source.model: no model named "${ds.model}" can be sampled on this deployment`,
        'data_source.model',
        'model_not_available',
      );
    if (ds.input_messages.type === 'template')
      checkInputTemplate(ds.input_messages.template, e.itemSchema, 'data_source.input_messages.template');
    else {
      try {
        const ref = parseReference(ds.input_messages.item_reference);
        if (ref.namespace !== 'item')
          throw new TemplateError('must reference the item, e.g. item.messages', ref.raw);
      } catch (err) {
        if (err instanceof TemplateError)
          throw new ValidationError(
            `data_source.input_messages.item_reference: ${err.message}`,
            'data_source.input_messages.item_reference',
          );
        throw err;
      }
    }
  }
  for (const [i, c] of e.testingCriteria.entries()) {
    if (
      (c.type === 'score_model' || c.type === 'label_model') &&
      !(await deps.sampler?.serves(tenantId, c.model))
    )
      throw new ValidationError(
        `testing_criteria[${i}].model: no model named "${c.model}" can be called on this deployment`,
        `testing_criteria[${i}].model`,
        'model_not_available',
      );
  }
}

export async function createRun(
  deps: EvalServiceDeps,
  tenantId: TenantId,
  evalId: string,
  req: EvalRunCreate,
): Promise<EvalRunRecord> {
  const e = await getEval(deps, tenantId, evalId);
  await checkDataSource(deps, tenantId, e, req.data_source);
  const model = sampledModelOf(req.data_source);
  const run: EvalRunRecord = {
    id: deps.ids.next('evalrun_'),
    evalId,
    tenantId,
    name: req.name ?? `${e.name} ${model ?? 'given samples'}`,
    status: 'queued',
    version: 1,
    dataSource: req.data_source,
    model,
    metadata: req.metadata ?? {},
    createdAt: nowS(deps),
    startedAtMs: null,
    finishedAt: null,
    error: null,
    nextIndex: 0,
    rowCount: null,
    counts: { total: 0, passed: 0, failed: 0, errored: 0 },
    perCriteria: criterionLabels(e.testingCriteria).map((label) => ({ label, passed: 0, failed: 0 })),
    usage: {},
    lease: null,
    lastTransition: null,
    reportToken: randomBytes(24).toString('base64url'),
  };
  await deps.evals.createRun(run);
  await deps.onRunQueued?.(run);
  return run;
}

export async function getRun(
  deps: Pick<EvalServiceDeps, 'evals'>,
  tenantId: TenantId,
  evalId: string,
  runId: string,
): Promise<EvalRunRecord> {
  await getEval(deps, tenantId, evalId);
  const run = await deps.evals.getRunById(runId);
  if (!run || run.deleted || run.tenantId !== tenantId || run.evalId !== evalId)
    throw new NotFoundError('eval run', runId, 'run_id');
  return run;
}

export async function listRuns(
  deps: EvalServiceDeps,
  tenantId: TenantId,
  evalId: string,
  opts: EvalListOptions & { status?: EvalRunStatus },
): Promise<Page<EvalRunRecord>> {
  await getEval(deps, tenantId, evalId);
  return deps.evals.listRuns(evalId, opts);
}

export async function cancelRun(
  deps: EvalServiceDeps,
  tenantId: TenantId,
  evalId: string,
  runId: string,
): Promise<EvalRunRecord> {
  const run = await getRun(deps, tenantId, evalId, runId);
  if (isTerminalRun(run.status)) return run;
  const canceled = (await transitionRun(deps, runId, 'canceled')).run;
  await deps.onRunCanceled?.(run);
  return canceled;
}

export async function deleteRun(
  deps: EvalServiceDeps,
  tenantId: TenantId,
  evalId: string,
  runId: string,
): Promise<void> {
  const run = await cancelRun(deps, tenantId, evalId, runId);
  await deps.evals.updateRun(run.id, { version: run.version }, { deleted: true });
}

export async function listOutputItems(
  deps: EvalServiceDeps,
  tenantId: TenantId,
  evalId: string,
  runId: string,
  opts: { after?: string; limit: number; order: 'asc' | 'desc'; status?: 'pass' | 'fail' },
): Promise<Page<OutputItemRecord>> {
  await getRun(deps, tenantId, evalId, runId);
  const afterIndex = opts.after !== undefined ? parseOutputItemId(runId, opts.after) : undefined;
  if (opts.after !== undefined && afterIndex === null) return { items: [], hasMore: false };
  return deps.evals.listOutputItems(runId, { ...opts, afterIndex: afterIndex ?? undefined });
}

export async function getOutputItem(
  deps: EvalServiceDeps,
  tenantId: TenantId,
  evalId: string,
  runId: string,
  itemId: string,
): Promise<OutputItemRecord> {
  await getRun(deps, tenantId, evalId, runId);
  const index = parseOutputItemId(runId, itemId);
  const item = index === null ? undefined : await deps.evals.getOutputItem(runId, index);
  if (!item) throw new NotFoundError('output item', itemId, 'output_item_id');
  return item;
}
