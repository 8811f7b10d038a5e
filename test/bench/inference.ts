/**
 * Decoding speed, ours vs a PyTorch KV-cache loop, side by side on the same weights: config B of
 * bench:trainer (GPT-2, vocab 512, 4 layers, d_model 256, 4 heads) with its context raised from
 * 128 to 384 positions so that a 128-token prompt and 256 new tokens fit; batch 1, greedy, no stop.
 *
 *   ttft    time to the first new token: the prompt's prefill plus choosing one token
 *   decode  the other 255 tokens, one forward step each, in tokens per second
 *
 * Each engine runs in its own child process (ours: runner/generate on the KV-cache decoder with
 * runner/native's kernels; PyTorch 1.13 on Debian's OpenMP OpenBLAS, checked in /proc/self/maps as
 * bench:trainer does), a warm-up round then `--rounds` timed rounds, medians reported. Both must
 * produce the same 256 tokens (the same model check).
 *
 * Last line: decode_tps_ours=… decode_tps_pytorch=… ratio=… ttft_ms_ours=… ttft_ms_pytorch=…
 *
 *   npm run bench:inference -- [--rounds N] [--threads N (default 1)] [--no-native]
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { savePretrained } from '../../runner/io';
import { createModel, parseModelConfig } from '../../runner/model';
import { buildCharTokenizer } from '../../runner/tokenizer';
import { CONFIGS, OPENMP_BLAS_DIR } from './trainer';

export interface InferenceSpec {
  prompt: number[];
  newTokens: number;
  rounds: number;
  threads: number;
  native: boolean;
}

export interface InferenceResult {
  engine: string;
  detail: string;
  ttftMs: number;
  decodeTokensPerSecond: number;
  tokens: number[];
  blasMapped?: string[];
}

const PROMPT_TOKENS = 128;
const NEW_TOKENS = 256;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv): InferenceResult {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stdout}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no RESULT line from ${cmd}: ${r.stdout}`);
  return JSON.parse(line.slice(7)) as InferenceResult;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'tuneplane-bench-inference-'));
  try {
    await tf.setBackend('cpu');
    const config = { ...CONFIGS.B.model, n_positions: PROMPT_TOKENS + NEW_TOKENS };
    // Weights larger than HF's init so greedy decoding wanders instead of repeating one token.
    const model = createModel(parseModelConfig({ ...config, initializer_range: 0.1 }), { seed: 1234 });
    await savePretrained(dir, model, buildCharTokenizer('abc'));
    model.dispose();
    let s = 12345;
    const prompt = Array.from({ length: PROMPT_TOKENS }, () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return (s >>> 8) % config.vocab_size;
    });
    const spec: InferenceSpec = {
      prompt,
      newTokens: NEW_TOKENS,
      rounds: Number(arg('rounds') ?? 5),
      // Batch-1 decoding is latency-bound; one thread each unless asked (OpenMP threads of PyTorch
      // collapse when other work shares the cores).
      threads: Number(arg('threads') ?? 1),
      native: !process.argv.includes('--no-native'),
    };
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    console.log(
      `config B (GPT-2 vocab 512, 4 layers, d_model 256, 4 heads, context ${config.n_positions}), batch 1, ` +
        `${PROMPT_TOKENS}-token prompt, ${NEW_TOKENS} new tokens, greedy; ${spec.rounds} rounds, ${spec.threads} threads`,
    );
    const here = fileURLToPath(new URL('.', import.meta.url));
    const ours = runChild(
      process.execPath,
      [...process.execArgv, join(here, 'inference-ours.ts'), dir],
      process.env,
    );
    console.log(`ours:    ${ours.detail}`);
    console.log(
      `ours:    ttft ${ours.ttftMs.toFixed(1)} ms, decode ${ours.decodeTokensPerSecond.toFixed(1)} tokens/s`,
    );

    if (!existsSync(join(OPENMP_BLAS_DIR, 'libopenblas.so.0')))
      throw new Error(`${OPENMP_BLAS_DIR}/libopenblas.so.0 missing: apt-get install libopenblas0-openmp`);
    const python = process.env.TUNEPLANE_BENCH_PYTHON ?? '/usr/bin/python3';
    const prev = process.env.LD_LIBRARY_PATH;
    const torch = runChild(python, [join(here, 'inference_pytorch.py'), dir], {
      ...process.env,
      LD_LIBRARY_PATH: prev ? `${OPENMP_BLAS_DIR}:${prev}` : OPENMP_BLAS_DIR,
    });
    const mapped = torch.blasMapped ?? [];
    if (!mapped.some((p) => p.startsWith(`${OPENMP_BLAS_DIR}/`)) || mapped.some((p) => p.includes('pthread')))
      throw new Error(`PyTorch did not run on the OpenMP OpenBLAS build; mapped: ${mapped.join(', ')}`);
    console.log(`pytorch: ${torch.detail}; BLAS mapped ${mapped.join(', ')}`);
    console.log(
      `pytorch: ttft ${torch.ttftMs.toFixed(1)} ms, decode ${torch.decodeTokensPerSecond.toFixed(1)} tokens/s`,
    );
    const same = ours.tokens.findIndex((t, i) => t !== torch.tokens[i]);
    console.log(
      same < 0 && ours.tokens.length === torch.tokens.length
        ? `same model check: both engines generated the same ${ours.tokens.length} tokens (${new Set(ours.tokens).size} distinct)`
        : `same model check: FAILED, the engines diverge at new token ${same}`,
    );
    console.log(
      `decode_tps_ours=${ours.decodeTokensPerSecond.toFixed(1)} decode_tps_pytorch=${torch.decodeTokensPerSecond.toFixed(1)} ` +
        `ratio=${(ours.decodeTokensPerSecond / torch.decodeTokensPerSecond).toFixed(3)} ` +
        `ttft_ms_ours=${ours.ttftMs.toFixed(1)} ttft_ms_pytorch=${torch.ttftMs.toFixed(1)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
