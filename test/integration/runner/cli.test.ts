/**
 * `npm run train` as a user runs it (a child process): JSON lines on stdout, the model written in
 * HF layout, SIGTERM → checkpoint + exit 75 → the same command resumes and finishes; bad data →
 * exit 1 with the line named. Also the operator's model import script.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile, mkdir, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPretrained } from '../../../runner/io';
import { validateModelFolder } from '../../../runner/scripts/import-model';
import { shakespeare } from './fixtures';

const root = path.resolve(import.meta.dirname, '../../..');
const base = path.join(root, 'runner/base-models/tuneplane-tiny-char');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tp-cli-'));
  const text = shakespeare();
  const rows = Array.from({ length: 48 }, (_, i) =>
    JSON.stringify({
      prompt: text.slice(i * 50, i * 50 + 30),
      completion: text.slice(i * 50 + 30, i * 50 + 45),
    }),
  );
  await writeFile(path.join(dir, 'train.jsonl'), rows.slice(0, 40).join('\n'));
  await writeFile(path.join(dir, 'valid.jsonl'), rows.slice(40).join('\n'));
  await writeFile(path.join(dir, 'bad.jsonl'), `${rows[0]}\n{"prompt": 3, "completion": "x"}\n`);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  lines: Record<string, unknown>[];
}

function train(args: string[], opts: { killAfterMetrics?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'runner/cli/train.ts', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Record<string, unknown>[] = [];
    let buf = '';
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.trim()) continue;
        const obj = JSON.parse(line) as Record<string, unknown>;
        lines.push(obj);
        if (
          opts.killAfterMetrics &&
          obj.type === 'metrics' &&
          lines.filter((l) => l.type === 'metrics').length === opts.killAfterMetrics
        )
          child.kill('SIGTERM');
      }
    });
    child.stderr.resume();
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, lines }));
  });
}

describe('npm run train', () => {
  it('fine-tunes the built-in base model, prints JSON lines, survives SIGTERM and resumes', async () => {
    await writeFile(
      path.join(dir, 'hp.json'),
      JSON.stringify({
        n_epochs: 3,
        batch_size: 4,
        learning_rate: 3e-3,
        metrics_interval_steps: 2,
        eval_interval_steps: 10,
        checkpoint_interval_steps: 1000,
        max_sequence_length: 64,
      }),
    );
    const out = path.join(dir, 'out');
    const args = [
      '--model',
      base,
      '--train',
      path.join(dir, 'train.jsonl'),
      '--validation',
      path.join(dir, 'valid.jsonl'),
      '--hyperparameters',
      path.join(dir, 'hp.json'),
      '--out',
      out,
    ];
    const first = await train(args, { killAfterMetrics: 2 });
    expect(first.code).toBe(75);
    expect(first.lines.at(-1)).toMatchObject({ type: 'result', status: 'interrupted', exit_code: 75 });
    const saved = first.lines.find((l) => l.type === 'checkpoint') as { step: number };
    expect(saved.step).toBeGreaterThanOrEqual(4);
    const second = await train(args);
    expect(second.code).toBe(0);
    expect(
      second.lines.some(
        (l) =>
          l.type === 'message' &&
          String(l.message).startsWith(`Resumed from the checkpoint at step ${saved.step}`),
      ),
    ).toBe(true);
    const metrics = second.lines.filter((l) => l.type === 'metrics');
    expect(metrics[0]).toHaveProperty('train_loss');
    expect(metrics[0]).toHaveProperty('valid_loss');
    expect(metrics.at(-1)).toHaveProperty('full_valid_loss');
    const result = second.lines.at(-1) as { type: string; status: string; steps: number };
    expect(result).toMatchObject({ type: 'result', status: 'completed', steps: 30 });
    // The output is a Hugging Face folder our loader (and transformers) can read.
    expect(
      (await readdir(out)).filter((f) => f.endsWith('.json') || f.endsWith('.safetensors')).sort(),
    ).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const loaded = await loadPretrained(out);
    expect(loaded.model.initialized).toEqual([]);
    loaded.model.dispose();
  }, 300_000);

  it('exits 1 naming the line and field of bad data', async () => {
    const r = await train([
      '--model',
      base,
      '--train',
      path.join(dir, 'bad.jsonl'),
      '--out',
      path.join(dir, 'out-bad'),
    ]);
    expect(r.code).toBe(1);
    expect(r.lines.at(-1)).toMatchObject({ type: 'error', param: 'prompt' });
    expect(String(r.lines.at(-1)!.message)).toMatch(/^line 2: /);
  }, 120_000);
});

describe('import-model', () => {
  it('accepts the built-in base model and rejects a folder whose weights are missing', async () => {
    const report = await validateModelFolder(base);
    expect(report).toMatchObject({
      model_type: 'llama',
      parameters: 87_232,
      vocab_size: 103,
      context_length: 128,
    });
    const broken = path.join(dir, 'broken');
    await mkdir(broken);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
      await copyFile(path.join(base, f), path.join(broken, f));
    await expect(validateModelFolder(broken)).rejects.toThrow(/model\.safetensors/);
  });
});
