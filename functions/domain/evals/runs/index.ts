export { canTransitionRun, isTerminalRun, nextRunStatuses, RUN_WEBHOOK_EVENTS } from './transitions';
export { transitionRun, putRunFollowUps, type RunLifecycleDeps } from './transition-run';
export {
  executeRun,
  DEFAULT_EXECUTOR_SETTINGS,
  type ExecuteOutcome,
  type ExecutorDeps,
  type ExecutorSettings,
} from './execute';
export { startEvalRunWorker, type EvalRunWorker } from './worker';
export { outputItemId, parseOutputItemId } from './output-items';
export {
  evalRunIdOf,
  handleEvalBatchState,
  reconcileEvalRuns,
  stopCanceledRun,
  submitLostRuns,
  submitQueuedRun,
  type EvalBatchOutcome,
  type EvalBatchState,
  type SubmitEvalRun,
} from './dispatch';
