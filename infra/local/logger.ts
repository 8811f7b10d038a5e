/**
 * The embedded stack's logger: Powertools' JSON logger, as on AWS, so a line reads the same on
 * both deployments (level, message, timestamp, service, and the line's own fields; errors with
 * their stack inside the JSON, never loose on stdout). Info goes to stdout, warnings and errors to
 * stderr; POWERTOOLS_LOG_LEVEL sets the level (Powertools reads it).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { AppLogger } from '../../functions/api/deps';
import { appLogger } from '../../functions/observability';

export function localLogger(): AppLogger {
  return appLogger(new Logger({ serviceName: 'tuneplane' }));
}
