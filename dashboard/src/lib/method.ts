/** A job's resolved hyperparameters, wherever its method keeps them (method.supervised or method.dpo). */
import type { FineTuningJob } from '../../../openapi/sdk/types.gen';

export function jobHyperparameters(job: FineTuningJob) {
  return job.method.type === 'dpo' ? job.method.dpo.hyperparameters : job.method.supervised.hyperparameters;
}
