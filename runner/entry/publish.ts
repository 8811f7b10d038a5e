/**
 * What a finished training leaves behind: the model in Hugging Face layout under
 * models/<fine-tuned id>/ with its model record, OpenAI's results file (a CSV of the metrics), and
 * the job marked succeeded with its trained tokens and final progress.
 */
import { ConflictError } from '../../functions/errors';
import { fineTunedModelId } from '../../functions/domain/jobs/model-id';
import { transitionJob } from '../../functions/domain/lifecycle';
import type { JobRecord } from '../../functions/domain/records';
import { memoryModelFolder, savePretrained } from '../io';
import { totalSteps } from '../train/plan';
import type { Session } from '../train/session';
import type { MetricsReport } from '../train/sink';
import type { JobDeps } from './run-job';

const CSV_COLUMNS = [
  'step',
  'train_loss',
  'train_accuracy',
  'valid_loss',
  'valid_mean_token_accuracy',
  'full_valid_loss',
  'full_valid_mean_token_accuracy',
  'accuracy',
] as const;

/** A DPO job's result file adds TRL's reward figures. */
const PREFERENCE_COLUMNS = [
  'train_rewards_chosen',
  'train_rewards_rejected',
  'train_rewards_margin',
  'train_rewards_accuracy',
  'valid_rewards_chosen',
  'valid_rewards_rejected',
  'valid_rewards_margin',
  'valid_rewards_accuracy',
] as const;

/** OpenAI's shape, ft:<base>:<org>:<suffix>:<id>, built by the domain (the API shows the same id). */
export { fineTunedModelId };

/** The trained model into the blob store, config.json last (a reader that sees it can rely on the rest), then its record. */
export async function publishModel(
  deps: JobDeps,
  job: JobRecord,
  modelId: string,
  session: Session,
): Promise<void> {
  const folder = memoryModelFolder();
  await savePretrained(folder, session.model, session.tokenizer);
  const files = [...folder.files].sort(
    ([a], [b]) => Number(a === 'config.json') - Number(b === 'config.json'),
  );
  for (const [name, bytes] of files)
    await deps.blobs.put(
      `models/${modelId}/${name}`,
      bytes,
      name.endsWith('.json') ? 'application/json' : 'application/octet-stream',
    );
  const parent = await deps.stores.models.get(job.tenantId, job.model);
  await deps.stores.models.put({
    id: modelId,
    tenantId: job.tenantId,
    createdAt: Math.floor(deps.clock.nowMs() / 1000),
    ownedBy: job.tenantId,
    jobId: job.id,
    lineage: [job.model, ...(parent?.lineage ?? [])],
    blobPrefix: `models/${modelId}/`,
  });
}

/** OpenAI's result file: a CSV of the metrics per reported step. Returns its file id. */
export async function writeResults(deps: JobDeps, job: JobRecord, history: MetricsReport[]): Promise<string> {
  const preference = history.some((m) => m.train_rewards_accuracy !== undefined);
  // A mixture-of-experts model's file adds its load-balancing loss.
  const moe = history.some((m) => m.train_aux_loss !== undefined);
  const columns: readonly string[] = [
    ...CSV_COLUMNS,
    ...(preference ? PREFERENCE_COLUMNS : []),
    ...(moe ? ['train_aux_loss'] : []),
  ];
  const rows = history.map((m) => {
    const v: Record<string, number | undefined> = { ...m, train_accuracy: m.train_mean_token_accuracy };
    return columns.map((c) => (v[c] === undefined ? '' : String(v[c]))).join(',');
  });
  const body = [columns.join(','), ...rows].join('\n') + '\n';
  const id = deps.ids.next('file-');
  const blobKey = `results/${job.id}/step_metrics.csv`;
  await deps.blobs.put(blobKey, body, 'text/csv');
  await deps.stores.files.put({
    id,
    tenantId: job.tenantId,
    filename: 'step_metrics.csv',
    bytes: Buffer.byteLength(body),
    purpose: 'fine-tune-results',
    createdAt: Math.floor(deps.clock.nowMs() / 1000),
    status: 'processed',
    blobKey,
  });
  return id;
}

/**
 * Marks the job succeeded with what it produced. False when it had left `running` (paused or
 * cancelled while the last step ran): the user's status stands (a resumed job continues from its
 * newest checkpoint), and the job is not failed for it.
 */
export async function markSucceeded(
  deps: JobDeps,
  job: JobRecord,
  session: Session,
  produced: { modelId: string; resultFile: string },
): Promise<boolean> {
  const { result } = session;
  // Tokens of the examples times the epochs actually run (early stopping or max_steps end before
  // the n_epochs plan, which result.totalSteps already caps at max_steps).
  const h = session.config.hyperparameters;
  const planned = totalSteps(session.train.examples.length, h.n_epochs, result.batchSize, h);
  const epochsRun = h.n_epochs * Math.min(1, result.steps / Math.max(1, planned));
  // A preference pair's examples count both of its sequences.
  const trainedTokens = Math.round(session.train.examples.tokens * epochsRun);
  try {
    await transitionJob(deps, job.id, 'succeeded', {
      expectedStatus: 'running',
      reason:
        result.status === 'early_stopped'
          ? `The job has successfully completed (early stopping at step ${result.steps}, best step ${result.bestStep})`
          : undefined,
      patch: {
        fineTunedModel: produced.modelId,
        trainedTokens,
        resultFiles: [produced.resultFile],
        finishedAt: Math.floor(deps.clock.nowMs() / 1000),
        progress: {
          step: result.steps,
          totalSteps: result.totalSteps,
          epoch: result.last?.epoch ?? 0,
          loss: result.last?.train_loss,
        },
      },
      eventData: { steps: result.steps, total_steps: result.totalSteps, best_step: result.bestStep ?? null },
    });
    return true;
  } catch (err) {
    if (err instanceof ConflictError) return false;
    throw err;
  }
}
