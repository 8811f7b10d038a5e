/** AppDeps with every optional part filled in: what route modules receive. */
import { modelCatalog, type BaseModelCatalog } from '../domain/models';
import { DEFAULT_API_CONFIG, consoleLogger, type ApiConfig, type AppDeps, type AppLogger } from './deps';

export interface ApiContext extends AppDeps {
  config: ApiConfig;
  logger: AppLogger;
  models: BaseModelCatalog;
  defaultProvider: ApiConfig['defaultProvider'];
  onDispatchError: (job: { id: string }, action: string, err: unknown) => void;
}

export function apiContext(deps: AppDeps): ApiContext {
  const config = { ...DEFAULT_API_CONFIG, ...deps.config };
  const logger = deps.logger ?? consoleLogger;
  return {
    ...deps,
    config,
    logger,
    models: deps.models ?? modelCatalog({ models: deps.stores.models, blobs: deps.blobs }),
    defaultProvider: config.defaultProvider,
    onDispatchError: (job, action, err) =>
      logger.error('dispatcher failed; the job keeps its status for the reconciler', {
        jobId: job.id,
        action,
        error: err instanceof Error ? err.message : String(err),
      }),
  };
}
