/**
 * A trial's job: building its request (base job + suggested parameters), creating it under the id
 * the trial recorded beforehand, reading its evaluations from the job's metrics events, and
 * stopping it.
 */
import { DpoHyperparametersSchema } from '../../../../openapi/schemas/dpo';
import { HyperparametersSchema } from '../../../../openapi/schemas/hyperparameters';
import type { JobCreate } from '../../../../openapi/schemas/job';
import { ARCHITECTURE_KEYS } from '../../../../openapi/schemas/model-config';
import type { SweepConfig, SweepMetric } from '../../../../openapi/schemas/sweep';
import { ApiError, ConflictError, NotFoundError } from '../../../errors';
import type { SweepRecord, TrialRecord, TrialReport } from '../../../ports/sweeps';
import { cancelJob, createJob } from '../../jobs';
import type { JobError, JobEventRecord, JobRecord } from '../../records';
import type { ControllerDeps } from './deps';

/** The job request of a trial: the base request with the trial's parameters laid over its hyperparameters. */
export function trialRequest(
  sweep: Pick<SweepRecord, 'id' | 'baseJob' | 'seed'>,
  trial: Pick<TrialRecord, 'number' | 'params'>,
): JobCreate {
  const { hyperparameters: legacy, ...base } = sweep.baseJob;
  const architecture: Record<string, unknown> = {};
  const searched: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(trial.params))
    ((ARCHITECTURE_KEYS as readonly string[]).includes(name) ? architecture : searched)[name] = value;
  const m = base.method;
  const own = m?.type === 'dpo' ? m.dpo?.hyperparameters : m?.supervised?.hyperparameters;
  const hyperparameters = { ...(own ?? legacy ?? {}), ...searched };
  const modelConfig = { ...(base.model_config ?? {}), ...architecture };
  return {
    ...base,
    ...(Object.keys(modelConfig).length ? { model_config: modelConfig } : {}),
    method:
      m?.type === 'dpo'
        ? { type: 'dpo', dpo: { hyperparameters: DpoHyperparametersSchema.parse(hyperparameters) } }
        : {
            type: 'supervised',
            supervised: { hyperparameters: HyperparametersSchema.parse(hyperparameters) },
          },
    seed: base.seed ?? sweep.seed,
    metadata: { ...(base.metadata ?? {}), sweep_id: sweep.id, sweep_trial: String(trial.number) },
  };
}

/** The hyperparameters a trial's job requests (under method.supervised or method.dpo). */
export function trialHyperparameters(
  sweep: Pick<SweepRecord, 'id' | 'baseJob' | 'seed'>,
  trial: Pick<TrialRecord, 'number' | 'params'>,
): Record<string, unknown> {
  const m = trialRequest(sweep, trial).method!;
  return (m.type === 'dpo' ? m.dpo!.hyperparameters : m.supervised!.hyperparameters)!;
}

/**
 * Creates the trial's job under `trial.jobId`. Returns null when created (or it already existed),
 * or the error when the request was refused: the trial then fails with that reason.
 */
export async function createTrialJob(
  deps: ControllerDeps,
  sweep: SweepRecord,
  trial: TrialRecord,
): Promise<JobError | null> {
  try {
    await createJob(deps, sweep.tenantId, trialRequest(sweep, trial), { id: trial.jobId, sweepId: sweep.id });
    return null;
  } catch (err) {
    if (err instanceof ConflictError && (await deps.stores.jobs.getById(trial.jobId))) return null;
    if (err instanceof ApiError && err.status < 500)
      return { code: err.code, message: err.message, param: err.param };
    if (err instanceof Error && err.name === 'ZodError')
      return { code: 'invalid_value', message: err.message, param: null };
    throw err;
  }
}

/** Stops a trial's job through the job service (which tells its dispatcher); a finished job is left alone. */
export async function stopTrialJob(deps: ControllerDeps, sweep: SweepRecord, jobId: string): Promise<void> {
  try {
    await cancelJob(deps, sweep.tenantId, jobId);
  } catch (err) {
    if (err instanceof ConflictError || err instanceof NotFoundError) return;
    throw err;
  }
}

/** Whether a metrics event is an evaluation of the objective (valid_* metrics: a full evaluation only). */
function evaluationValue(metric: SweepMetric, data: Record<string, unknown>): number | null {
  const v = data[metric];
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  if (metric.startsWith('train_')) return v;
  // Between evaluations the runner reports valid_* on a single batch; only full passes are evaluations.
  return typeof data.full_valid_loss === 'number' ? v : null;
}

/** Metrics events of the job newer than `afterStep`, oldest first (events are listed newest first). */
async function metricsSince(
  deps: ControllerDeps,
  jobId: string,
  afterStep: number,
): Promise<JobEventRecord[]> {
  const out: JobEventRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await deps.stores.events.list(jobId, { limit: 100, after });
    let reachedSeen = false;
    for (const e of page.items) {
      if (e.type !== 'metrics') continue;
      const step = Number(e.data?.step);
      if (step <= afterStep) {
        reachedSeen = true;
        break;
      }
      out.push(e);
    }
    if (reachedSeen || !page.hasMore || page.items.length === 0) break;
    after = page.items[page.items.length - 1].id;
  }
  return out.sort((a, b) => Number(a.data?.step) - Number(b.data?.step));
}

/**
 * New evaluations of the job as scheduler reports. The resource is the optimizer step, or for
 * ASHA with `resource: epochs` the (fractional) epochs done: step · n_epochs / total steps.
 */
export async function newReports(
  deps: ControllerDeps,
  config: SweepConfig,
  job: JobRecord,
  trial: TrialRecord,
  nowMs: number,
): Promise<{ reports: TrialReport[]; lastJobStep: number }> {
  // An eval objective is measured once, on the finished model (./eval-objective.ts).
  if (config.objective.type === 'eval') return { reports: [], lastJobStep: trial.lastJobStep };
  const metric = config.objective.metric;
  const events = await metricsSince(deps, job.id, trial.lastJobStep);
  const reports: TrialReport[] = [];
  let lastJobStep = trial.lastJobStep;
  const es = config.early_stopping;
  const nEpochs = Number(job.resolvedHyperparameters.n_epochs) || 1;
  for (const e of events) {
    const data = e.data ?? {};
    const jobStep = Number(data.step);
    lastJobStep = Math.max(lastJobStep, jobStep);
    const value = evaluationValue(metric, data);
    if (value === null) continue;
    const totalSteps = Number(data.total_steps) || job.progress?.totalSteps || 0;
    const step =
      es.type === 'asha' && es.resource === 'epochs' && totalSteps > 0
        ? (jobStep * nEpochs) / totalSteps
        : jobStep;
    reports.push({ step, value, jobStep, atMs: nowMs });
  }
  return { reports, lastJobStep };
}
