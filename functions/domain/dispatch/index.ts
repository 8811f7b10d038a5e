export { resumeStep } from './deps';
export type { DispatchDeps } from './deps';
export { submitQueuedJob, submitUnsubmittedJobs } from './submit';
export type { Dispatchers, SubmitOptions } from './submit';
export {
  handleBatchStateChange,
  isHostInterruption,
  isPauseTermination,
  tuneplaneJobIdOf,
} from './batch-events';
export type { BatchJobDetail, BatchOutcome, BatchStateChange, HandleOptions } from './batch-events';
export { reconcileBatchJobs } from './batch-reconciler';
export type { BatchDescriber, ReconcileOptions, ReconcileReport } from './batch-reconciler';
export { pollMirroredJobs, syncByProviderJobId, syncMirroredJob } from './mirror';
export type { ProviderMirror, RemoteCheckpoint, RemoteEvent, RemoteJob, SyncResult } from './mirror';
export { onRunnerExit, recoverLocalJobs } from './local-runs';
export type { ExitOutcome, ExitPolicy, RunnerExit } from './local-runs';
