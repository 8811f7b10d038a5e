/**
 * A sweep whose objective is an eval (`objective.type: "eval"`): each trial is measured on its
 * finished model. When a trial's job succeeds, the controller starts a run of the eval with a
 * `completions` data source sampling the trial's fine-tuned model over the objective's rows (by
 * default the base job's validation file) and keeps the trial running; a later pass reads the run
 * and, once it completed, sets the trial's value: the pass rate of the named criterion (passed /
 * graded rows), or the share of rows that passed every criterion. A run that fails or is cancelled
 * fails the trial. The run is an ordinary eval run of the tenant (listed under the eval, tagged
 * with the sweep and trial in its metadata), executed where every run executes.
 */
import type { EvalObjective } from '../../../../openapi/schemas/sweep';
import type { SweepCreate } from '../../../../openapi/schemas/sweep-resource';
import type { RunDataSource } from '../../../../openapi/schemas/eval-run';
import { ApiError, NotFoundError, ValidationError } from '../../../errors';
import type { EvalRunRecord } from '../../../ports/evals';
import type { SweepRecord, TrialPatch, TrialRecord } from '../../../ports/sweeps';
import { criterionLabels } from '../../evals/definition';
import { checkDataSource, createRun, getEval } from '../../evals/service';
import type { JobCreate } from '../../../../openapi/schemas/job';
import type { JobRecord, TenantId } from '../../records';
import type { ControllerDeps } from './deps';

/** The completions data source a trial's eval run samples `model` with. */
function dataSourceOf(o: EvalObjective, baseJob: JobCreate, model: string): RunDataSource {
  return {
    type: 'completions',
    model,
    input_messages: o.input_messages,
    ...(o.sampling_params ? { sampling_params: o.sampling_params } : {}),
    source: o.source ?? { type: 'file_id', id: baseJob.validation_file ?? '' },
  } as RunDataSource;
}

/**
 * A run-creation error about `data_source.…`, told as the sweep request's field: the rows' file is
 * `objective.source` or `base_job.validation_file`, the rest is `objective.…`.
 */
function asObjectiveError(err: unknown, o: EvalObjective, baseJob: JobCreate): unknown {
  if (!(err instanceof ApiError) || !err.param?.startsWith('data_source.')) return err;
  if (err instanceof NotFoundError)
    return o.source
      ? new NotFoundError('file', o.source.id, 'objective.source.id')
      : new NotFoundError('file', baseJob.validation_file ?? '', 'base_job.validation_file');
  const param = `objective.${err.param.slice('data_source.'.length)}`;
  return new ValidationError(err.message.replaceAll('data_source.', 'objective.'), param, err.code);
}

/** The rules of an eval objective at sweep creation, each a 4xx naming the field. */
export async function checkEvalObjective(
  deps: Pick<ControllerDeps, 'evalService'>,
  tenantId: TenantId,
  req: SweepCreate,
): Promise<void> {
  const o = req.objective;
  if (o.type !== 'eval') return;
  if (!deps.evalService)
    throw new ValidationError(
      'objective.type: this deployment runs no evals for sweeps; use a metric objective',
      'objective.type',
      'unsupported',
    );
  const e = await getEval(deps.evalService, tenantId, o.eval_id).catch((err: unknown) => {
    throw err instanceof NotFoundError ? new NotFoundError('eval', o.eval_id, 'objective.eval_id') : err;
  });
  const labels = criterionLabels(e.testingCriteria);
  if (o.testing_criteria !== undefined && !labels.includes(o.testing_criteria))
    throw new ValidationError(
      `objective.testing_criteria: the eval has no criterion named "${o.testing_criteria}" (it has ${labels.map((l) => `"${l}"`).join(', ')})`,
      'objective.testing_criteria',
    );
  if (!o.source && !req.base_job.validation_file)
    throw new ValidationError(
      'objective.source: the eval needs rows; set objective.source (a JSONL file of items) or base_job.validation_file',
      'objective.source',
    );
  try {
    await checkDataSource(deps.evalService, tenantId, e, dataSourceOf(o, req.base_job, 'trial-model'), {
      sampledModel: false,
    });
  } catch (err) {
    throw asObjectiveError(err, o, req.base_job);
  }
}

/** The objective's value from a completed run, or null when it graded nothing. */
export function passRate(run: EvalRunRecord, criterion: string | undefined): number | null {
  if (criterion === undefined) return run.counts.total ? run.counts.passed / run.counts.total : null;
  const c = run.perCriteria.find((x) => x.label === criterion);
  const graded = c ? c.passed + c.failed : 0;
  return graded ? c!.passed / graded : null;
}

/**
 * What a succeeded trial job means for the trial under an eval objective: start its eval run, wait
 * for it, or take its value. Each call moves at most one step, so a pass after a crash continues.
 */
export async function evaluateTrial(
  deps: ControllerDeps,
  sweep: SweepRecord,
  trial: TrialRecord,
  job: JobRecord,
  nowMs: number,
): Promise<TrialPatch> {
  const o = sweep.config.objective as EvalObjective;
  const done = { finishedAtMs: nowMs, fineTunedModel: job.fineTunedModel };
  const fail = (code: string, message: string): TrialPatch => ({
    ...done,
    state: 'failed',
    error: { code, message, param: null },
  });
  if (!deps.evalService)
    return fail('objective_unavailable', 'This deployment cannot run the eval that is the objective.');
  if (!job.fineTunedModel)
    return fail('objective_missing', 'The trial job succeeded without a fine-tuned model to evaluate.');
  if (!trial.evalRunId) {
    try {
      // A crash between this run's creation and the trial's write leaves one more run of the eval
      // behind (listed with the sweep in its metadata); the trial takes the one it recorded.
      const run = await createRun(deps.evalService, sweep.tenantId, o.eval_id, {
        name: `${sweep.id} trial ${trial.number}`,
        metadata: { sweep_id: sweep.id, sweep_trial: String(trial.number) },
        data_source: dataSourceOf(o, sweep.baseJob, job.fineTunedModel),
      });
      return { state: 'running', evalRunId: run.id, fineTunedModel: job.fineTunedModel };
    } catch (err) {
      if (err instanceof ApiError && err.status < 500)
        return fail(
          'objective_eval_refused',
          `The eval could not run on ${job.fineTunedModel}: ${err.message}`,
        );
      throw err;
    }
  }
  const run = await deps.evalService.evals.getRunById(trial.evalRunId);
  if (!run || run.deleted)
    return fail('objective_eval_missing', `The trial's eval run ${trial.evalRunId} was deleted.`);
  if (run.status === 'completed') {
    const value = passRate(run, o.testing_criteria);
    if (value === null) return fail('objective_missing', `The eval run ${run.id} graded no rows.`);
    return { ...done, state: 'complete', value };
  }
  if (run.status === 'failed' || run.status === 'canceled')
    return fail(
      'objective_eval_failed',
      `The trial's eval run ${run.id} ${run.status}${run.error ? `: ${run.error.message}` : ''}.`,
    );
  return trial.state === 'running' ? {} : { state: 'running' };
}
