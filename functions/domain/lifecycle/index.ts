export {
  JOB_STATUSES,
  TERMINAL_STATUSES,
  canTransition,
  isTerminal,
  nextStatuses,
  resumeMode,
} from './transitions';
export type { ResumeMode } from './transitions';
export {
  WEBHOOK_STATUSES,
  outboxIdFor,
  repairFollowUps,
  transitionEventId,
  transitionJob,
} from './transition-job';
export type { JobPatch, LifecycleDeps, TransitionOptions, TransitionResult } from './transition-job';
export { failAbandonedCreations, repairRecentFollowUps } from './reconcile';
export type { RepairRecentOptions } from './reconcile';
export { appendJobEvent, deterministicEventId, recordMetrics, recordMetricsBatch } from './events';
export type { AppendEventInput, EventDeps, MetricsPoint } from './events';
