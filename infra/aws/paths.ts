/** Where things are in the repository, independent of the directory `cdk` or vitest runs from. */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The Lambda entry points (composition roots; docs/ARCHITECTURE.md, "The embedded stack and AWS").
 * The inference function composes the generation engine, so its entry is in runner/entry.
 */
export const handlerEntry = (
  name: 'api' | 'batch-events' | 'reconciler' | 'webhook-delivery' | 'inference',
): string =>
  name === 'inference'
    ? join(repoRoot, 'runner', 'entry', 'inference-lambda.ts')
    : join(repoRoot, 'functions', 'handlers', `${name}.ts`);
