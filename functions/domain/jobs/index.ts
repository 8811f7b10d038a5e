export { planJob, requestedHyperparameters } from './plan';
export type { JobPlan, PlanDeps } from './plan';
export {
  createJob,
  getJob,
  listJobs,
  cancelJob,
  pauseJob,
  listJobEvents,
  listJobCheckpoints,
  checkpointWeightsKey,
} from './service';
export { resumeJob } from './resume';
export { jobMetrics } from './metrics';
export type { CreateJobOptions, JobDeps } from './service';
export { fineTunedModelId, modelIdSuffix } from './model-id';
