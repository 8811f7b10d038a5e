/**
 * The runner bundle the local stack starts jobs with (infra/local/runner-bundle.ts): built with the
 * real esbuild into a temporary folder, rebuilt when one of the runner's sources is newer, and run
 * as a real process that must find what the sources find beside themselves (the native addon).
 * A job running through it end to end is test/integration/e2e/local-job.test.ts.
 */
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runnerCommand, tsxRunnerCommand } from '../../infra/local/runner-bundle';
import { loadAddon } from '../../runner/native/addon';
import { runChild } from '../support/child';
import { ROOT } from '../support/npm-start';

let outDir: string;
beforeAll(async () => {
  // Beside the real bundle, so packages resolve from the same node_modules as in `npm start`.
  outDir = path.join(ROOT, 'runner/dist', `.test-${process.pid}`);
});
afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

/**
 * Starts a runner for a job on a store nobody listens on: it parses its environment, picks its
 * backend (one JSON line on stderr) and then fails to reach DynamoDB. Returns the backend line.
 */
async function backendLine(
  command: string[],
): Promise<{ backend: string; description: string; skipped: string[] }> {
  const [exe, ...args] = command;
  const r = await runChild(exe, args, {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TUNEPLANE_JOB_ID: 'ftjob-bundletest',
    TUNEPLANE_TABLE: 'nowhere',
    TUNEPLANE_BUCKET: 'nowhere',
    TUNEPLANE_DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
    TUNEPLANE_S3_ENDPOINT: 'http://127.0.0.1:9',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_MAX_ATTEMPTS: '1',
  });
  const line = r.stderr.split('\n').find((l) => l.includes('tensorflow backend selected'));
  expect(line, `no backend line in:\n${r.stderr}`).toBeDefined();
  expect(r.code).not.toBe(0); // the store is unreachable
  const parsed = JSON.parse(line!) as { backend: string; description: string; skipped: { pkg: string }[] };
  // Why a package was skipped names the importing file, which differs; which were skipped does not.
  return {
    backend: parsed.backend,
    description: parsed.description,
    skipped: parsed.skipped.map((s) => s.pkg),
  };
}

describe('the runner bundle of the local stack', () => {
  it('is built once, reused while the sources are unchanged, and rebuilt when a runner source is newer', async () => {
    const first = await runnerCommand(ROOT, { outDir });
    expect(first.how).toBe('built');
    expect(first.command).toEqual([
      process.execPath,
      '--openssl-legacy-provider',
      path.join(outDir, 'job.mjs'),
    ]);
    expect((await runnerCommand(ROOT, { outDir })).how).toBe('reused');

    // An edit deep in the trainer (not the entry): the bundle's inputs include it.
    const source = path.join(ROOT, 'runner/native/addon.ts');
    const before = await stat(source);
    const later = new Date(Date.now() + 60_000);
    await utimes(source, later, later);
    try {
      expect((await runnerCommand(ROOT, { outDir })).how).toBe('built');
    } finally {
      await utimes(source, before.atime, before.mtime);
    }
    expect((await runnerCommand(ROOT, { outDir })).how).toBe('reused');
  }, 120_000);

  it('runs with the native kernels its sources load, exactly as the tsx fallback does', async () => {
    const bundled = await runnerCommand(ROOT, { outDir });
    expect(bundled.how).toMatch(/^(built|reused)$/);
    const fromBundle = await backendLine(bundled.command);
    const fromSources = await backendLine(tsxRunnerCommand(ROOT));
    expect(fromBundle).toEqual(fromSources);
    // Where the addon is built (CI builds it), both use it; in the bundle it is found beside
    // runner/native/addon.ts, not beside the bundle.
    if (loadAddon().ok) expect(fromBundle.description).toContain('native kernels via');
  }, 120_000);

  it('falls back to tsx, saying why, when the runner does not build', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'tp-runner-broken-'));
    await mkdir(path.join(root, 'runner/entry'), { recursive: true });
    await writeFile(
      path.join(root, 'runner/entry/job.ts'),
      "import { nothing } from './missing';\nnothing();\n",
    );
    const r = await runnerCommand(root);
    expect(r.command).toEqual(tsxRunnerCommand(root));
    expect(r.how).toMatch(/^tsx \(no runner bundle: .*missing/);
  }, 60_000);
});
