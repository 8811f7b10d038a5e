/**
 * Parsing a process environment with a zod schema, once, at a composition root. A bad or missing
 * variable stops the cold start with one message that names every variable and its rule.
 */
import * as z from 'zod/mini';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(
    readonly component: string,
    readonly issues: { variable: string; rule: string }[],
  ) {
    super(
      `Invalid environment for ${component}: ` + issues.map((i) => `${i.variable}: ${i.rule}`).join('; '),
    );
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
