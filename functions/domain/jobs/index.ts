export { planJob, requestedHyperparameters } from './plan';
export type { JobPlan, PlanDeps } from './plan';
export {
  createJob,
  getJob,
  listJobs,
  cancelJob,
  pauseJob,
  resumeJob,
  listJobEvents,
  listJobCheckpoints,
} from './service';
export type { CreateJobOptions, JobDeps } from './service';
