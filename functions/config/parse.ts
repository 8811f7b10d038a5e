/**
 * Parsing a process environment with a zod schema, once, at a composition root. A bad or missing
 * variable stops the cold start with one message that names every variable and its rule.
 */
import * as z from 'zod/mini';
import { TuneplaneError } from '../../openapi/errors';

export type Env = Record<string, string | undefined>;

/** The deployment's fault, never a request's: the API's edge answers it with a 500 that shows nothing of it. */
export class ConfigError extends TuneplaneError {
  constructor(
    readonly component: string,
    readonly issues: { variable: string; rule: string }[],
  ) {
    super(
      `Invalid environment for ${component}: ` + issues.map((i) => `${i.variable}: ${i.rule}`).join('; '),
      { code: 'invalid_environment', param: issues[0]?.variable ?? null },
    );
    // Kept readable in the minified Lambda bundle, where the class's own name is not.
    this.name = 'ConfigError';
  }
}

export function parseEnv<S extends z.ZodMiniType>(component: string, schema: S, env: Env): z.output<S> {
  const result = z.safeParse(schema, env);
  if (result.success) return result.data;
  throw new ConfigError(
    component,
    result.error.issues.map((issue) => ({
      variable: issue.path.join('.') || '(environment)',
      rule: issue.message,
    })),
  );
}
