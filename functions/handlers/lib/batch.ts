/**
 * The AWS Batch dispatcher for the Lambdas, loaded on first use: most API requests (reads, file
 * uploads) never start or stop a job, so a cold start need not load the Batch client. The dynamic
 * import becomes a separate chunk (infra/aws/bundling.ts).
 */
import type { BatchDispatcher, BatchDispatcherConfig } from '../../adapters/batch/dispatcher';

export function lazyBatchDispatcher(region: string, config: BatchDispatcherConfig): BatchDispatcher {
  let dispatcher: Promise<BatchDispatcher> | undefined;
  const get = () =>
    (dispatcher ??= Promise.all([
      import('@aws-sdk/client-batch'),
      import('../../adapters/batch/dispatcher'),
    ]).then(([sdk, adapter]) => adapter.batchDispatcher(new sdk.BatchClient({ region }), config)));
  return {
    submit: async (job) => (await get()).submit(job),
    submitEvalRun: async (run) => (await get()).submitEvalRun(run),
    stopEvalRun: async (run) => (await get()).stopEvalRun(run),
    cancel: async (job) => (await get()).cancel(job),
    pause: async (job) => (await get()).pause(job),
    resume: async (job) => (await get()).resume(job),
    describe: async (ids) => (await get()).describe(ids),
  };
}
