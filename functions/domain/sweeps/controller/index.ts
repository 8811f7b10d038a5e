/**
 * The sweep controller: turns a sweep's configuration into trial jobs, watches them, stops the
 * poor ones early and finishes the sweep. Stateless between calls (all state in the SweepStore),
 * idempotent, one pass per sweep at a time (lease). Entry points:
 *  - `advanceSweep(deps, sweepId)`: one pass (after an API call); `advanceSweepOfJob(deps, jobId)`
 *    after a trial event (metrics, final status) of that job;
 *  - `tickSweeps(deps)`: a pass over every active sweep (periodic);
 *  - `startSweepWorker(deps)`: both, on a timer and on kicks, in a long-running process;
 *  - create/get/list/cancel/pause/resume and the trial list, for the API.
 */
export { advanceSweep, advanceSweepOfJob, type AdvanceOutcome } from './advance';
export { DEFAULT_SETTINGS, type ControllerDeps, type ControllerSettings } from './deps';
export {
  cancelSweep,
  createSweep,
  getSweep,
  listSweeps,
  listTrials,
  pauseSweep,
  resumeSweep,
} from './service';
export { trialHyperparameters, trialRequest } from './trial-jobs';
export { SEARCHABLE_HYPERPARAMETERS, validateSweepRequest } from './validate';
export { bestOf, countStates, elapsedSeconds, strategyTrials, trialsToStop } from './view';
export { startSweepWorker, tickSweeps, type SweepWorker } from './worker';
