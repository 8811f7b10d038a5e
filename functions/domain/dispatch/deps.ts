import type { CheckpointStore } from '../../ports/store';
import type { LifecycleDeps } from '../lifecycle';

/** What the dispatch domain needs: the lifecycle's stores plus checkpoints (to say where a resume starts). */
export type DispatchDeps = LifecycleDeps & {
  stores: LifecycleDeps['stores'] & { checkpoints: CheckpointStore };
};

/** The newest checkpoint's step, or 0 when the job has none yet. */
export async function resumeStep(deps: DispatchDeps, jobId: string): Promise<number> {
  const page = await deps.stores.checkpoints.list(jobId, { limit: 1 });
  return page.items[0]?.stepNumber ?? 0;
}
