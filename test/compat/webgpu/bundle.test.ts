/**
 * `npm run gpu:bundle`'s folder, as a GPU machine without network gets it: built into a temporary
 * directory outside the repository (so no node_modules can be found from it), at most 60 MB, and
 * both bundles run with plain `node`: the GPU check's fidelity on this machine's adapter (software
 * here), and the trainer's CLI on the CPU path.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGpuBundle, GPU_BUNDLE_LIMIT_BYTES } from '../../bench/gpu-bundle';
import { shakespeare } from '../../integration/runner/fixtures';
import { useWebGpu } from './setup';

const root = resolve(import.meta.dirname, '../../..');
const webgpu = await useWebGpu('test/compat/webgpu bundle');
let work: string;
let out: string;
let bytes = 0;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tuneplane-gpu-bundle-'));
  out = join(work, 'gpu-check');
  bytes = await buildGpuBundle(out, () => {});
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const node = (args: string[]) =>
  spawnSync(process.execPath, args, { cwd: work, encoding: 'utf8', timeout: 600_000 });

describe('GPU bundle', () => {
  it('is one folder of at most 60 MB: two bundles, Dawn’s binding, the reference values, no node_modules', () => {
    expect(readdirSync(out).sort()).toEqual([
      'README.txt',
      'dawn.node',
      'gpu-check.mjs',
      'reference.json',
      'train.mjs',
    ]);
    expect(bytes).toBeGreaterThan(10 * 2 ** 20);
    expect(bytes).toBeLessThanOrEqual(GPU_BUNDLE_LIMIT_BYTES);
    expect(existsSync(join(work, 'node_modules'))).toBe(false);
  });

  it.skipIf(!webgpu)(
    'gpu-check.mjs reports the adapter, says it is software here, and passes the fidelity check',
    () => {
      const r = node([join(out, 'gpu-check.mjs'), '--fidelity-only', '--quick']);
      const lines = r.stdout.trim().split('\n');
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(lines[0]).toMatch(/^backend: \{.*"backend":"webgpu"/);
      expect(r.stdout).toContain('note: no hardware GPU adapter; this runs on a software renderer');
      expect(lines.filter((l) => l.startsWith('  ok   ')).length).toBe(6);
      expect(lines.at(-1)).toMatch(/^adapter=\S+\(software\) fidelity=ok$/);
    },
    180_000,
  );

  it('train.mjs trains the built-in base model from the folder alone', () => {
    writeFileSync(join(work, 'train.txt'), shakespeare().slice(0, 1200));
    writeFileSync(
      join(work, 'hp.json'),
      JSON.stringify({ n_epochs: 1, batch_size: 4, max_sequence_length: 32 }),
    );
    const r = node([
      join(out, 'train.mjs'),
      ...['--model', join(root, 'runner/base-models/tuneplane-tiny-char')],
      ...['--train', join(work, 'train.txt'), '--hyperparameters', join(work, 'hp.json')],
      ...['--out', join(work, 'model'), '--backend', 'cpu'],
    ]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      type: 'result',
      status: 'completed',
    });
    expect(existsSync(join(work, 'model', 'model.safetensors'))).toBe(true);
  }, 180_000);
});
