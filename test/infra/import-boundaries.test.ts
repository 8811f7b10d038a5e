import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The import rules of docs/ARCHITECTURE.md are enforced by `npm run lint`; these cases check the
 * rule set itself catches each kind of violation (and lets the allowed direction through), since a
 * lint config that silently matches nothing would pass CI for ever.
 */
const eslint = new ESLint({ cwd: process.cwd() });

async function violations(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: file });
  return result.messages
    .filter((m) => m.ruleId === 'import-x/no-restricted-paths' || m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('import boundaries', () => {
  it('the domain may not import an adapter, the API or Hono', async () => {
    expect(
      await violations(
        'functions/domain/jobs/example.ts',
        "import { createDynamoStores } from '../../adapters/dynamodb';\nexport const x = createDynamoStores;\n",
      ),
    ).toEqual([expect.stringMatching(/domain knows nothing of adapters/)]);
    expect(
      await violations(
        'functions/domain/jobs/example.ts',
        "import { Hono } from 'hono';\nexport const x = Hono;\n",
      ),
    ).toEqual([expect.stringMatching(/knows nothing of Hono or AWS/)]);
  });

  it("the trainer's parts may not import functions/, but the runner entry may", async () => {
    const src = "import { ConflictError } from '../../functions/errors';\nexport const x = ConflictError;\n";
    expect(await violations('runner/train/example.ts', src)).toEqual([
      expect.stringMatching(/trainer's parts import only the contract/),
    ]);
    expect(await violations('runner/entry/example.ts', src)).toEqual([]);
  });

  it('the contract may not import the app', async () => {
    expect(
      await violations(
        'openapi/routes/example.ts',
        "import { createApp } from '../../functions/api/app';\nexport const x = createApp;\n",
      ),
    ).toEqual([expect.stringMatching(/contract imports nothing of the app/)]);
  });

  it('functions/ may not import the runner', async () => {
    expect(
      await violations(
        'functions/api/example.ts',
        "import { Trainer } from '../../runner/train';\nexport const x = Trainer;\n",
      ),
    ).toEqual([expect.stringMatching(/functions\/ imports only itself and the contract/)]);
  });

  it('imports that follow the rules pass', async () => {
    expect(
      await violations(
        'functions/domain/jobs/example.ts',
        "import { JobStatusSchema } from '../../../openapi/schemas/job';\nexport const x = JobStatusSchema;\n",
      ),
    ).toEqual([]);
  });
});
