/**
 * Trainer throughput and memory, ours vs PyTorch 1.13, side by side on three GPT-2 shapes:
 *   A  vocab 65, 4 layers, d_model 128, context 64, batch 12   (small: per-op overhead dominates)
 *   B  vocab 512, 4 layers, d_model 256, context 128, batch 8  (the reference shape)
 *   C  vocab 8192, 6 layers, d_model 512, context 256, batch 4 (matmuls dominate)
 * AdamW (decay 0.1 on matrices), clipping at 1.0, no dropout. Both engines start from the same
 * weights (a safetensors file our child writes) and see the same token batches, each engine in its
 * own child process so peak RSS is per engine.
 *
 * PyTorch always runs on Debian's OpenMP OpenBLAS build (libopenblas0-openmp), selected for its
 * process with LD_LIBRARY_PATH: the pthread build, the system default once libopenblas-dev is
 * installed, oversubscribes the cores under PyTorch's OpenMP threads (~2.7x slower). The child
 * reports the BLAS it actually mapped (/proc/self/maps) and the bench refuses any other.
 *
 * Last line (the first four figures are config B's):
 *   tokens_per_s_ours=… tokens_per_s_pytorch=… ratio=… rss_ratio=… ratio_a=… ratio_c=… rss_ratio_c=…
 *
 *   npm run bench:trainer -- [--configs A,B,C] [--steps N] [--warmup N] [--threads N] [--no-native]
 *                            [--profile] [--skip-pytorch] [--ours-blas openmp|pthread]
 *   npm run bench:trainer -- --configs B --leak-steps 1000   (ours only: tensor count and RSS)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIGS, TRAIN, type BenchConfig } from './trainer-configs';

export { CONFIGS, TRAIN, type BenchConfig };

export const OPENMP_BLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
const PTHREAD_BLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';

/** What each engine's child writes on its RESULT line. */
export interface EngineResult {
  engine: string;
  tokensPerSecond: number;
  secondsPerStep: number;
  peakRssMiB: number;
  losses: number[];
  detail: string;
  /** PyTorch: the BLAS shared objects mapped into the process. */
  blasMapped?: string[];
  tensorsStart?: number;
  tensorsEnd?: number;
  rssMiBSamples?: number[];
  /** ours: ms per step in forward+backward, gradient clipping, optimizer update */
  phasesMs?: number[];
  /** CPU time (all threads) per step; on a loaded machine a steadier figure than wall time */
  cpuMsPerStep?: number;
}

/** The child's instructions (run.json). */
export interface RunSpec {
  config: BenchConfig['model'];
  batch: number;
  seq: number;
  train: typeof TRAIN;
  warmup: number;
  steps: number;
  leakSteps: number;
  native: boolean;
  profile: boolean;
  threads: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const num = (name: string, fallback: number) => Number(arg(name) ?? fallback);
const flag = (name: string) => process.argv.includes(`--${name}`);

/** Deterministic token stream (LCG), rows of seq+1 tokens: ids = row[0..seq), targets = row[1..seq]. */
export function makeTokens(rows: number, seq: number, vocab: number): Int32Array {
  const out = new Int32Array(rows * (seq + 1));
  let s = 12345;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = (s >>> 8) % vocab;
  }
  return out;
}

function withLibraryPath(dir: string): NodeJS.ProcessEnv {
  const prev = process.env.LD_LIBRARY_PATH;
  return { ...process.env, LD_LIBRARY_PATH: prev ? `${dir}:${prev}` : dir };
}

export function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): EngineResult {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stdout}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no RESULT line from ${cmd}: ${r.stdout}`);
  return JSON.parse(line.slice(7)) as EngineResult;
}

function fmtLosses(l: number[]): string {
  const f = (xs: number[]) => xs.map((x) => x.toFixed(4)).join(' ');
  return l.length <= 6 ? f(l) : `${f(l.slice(0, 3))} … ${f(l.slice(-2))}`;
}

interface Pair {
  ours: EngineResult;
  torch?: EngineResult;
}

function benchConfig(cfg: BenchConfig): Pair {
  const warmup = num('warmup', 3);
  const steps = num('steps', cfg.steps);
  const leakSteps = num('leak-steps', 0);
  const dir = mkdtempSync(join(tmpdir(), 'tuneplane-bench-'));
  const tag = `[${cfg.name}]`;
  try {
    const rows = cfg.batch * (warmup + steps);
    writeFileSync(join(dir, 'tokens.bin'), makeTokens(rows, cfg.seq, cfg.model.vocab_size));
    const spec: RunSpec = {
      config: cfg.model,
      batch: cfg.batch,
      seq: cfg.seq,
      train: TRAIN,
      warmup,
      steps,
      leakSteps,
      native: !flag('no-native'),
      profile: flag('profile'),
      threads: num('threads', 0),
    };
    writeFileSync(join(dir, 'run.json'), JSON.stringify(spec));
    const here = fileURLToPath(new URL('.', import.meta.url));
    // Ours may run on either OpenBLAS build; by default the one the system selects.
    const oursBlas = arg('ours-blas');
    const oursEnv =
      oursBlas === 'openmp'
        ? withLibraryPath(OPENMP_BLAS_DIR)
        : oursBlas === 'pthread'
          ? withLibraryPath(PTHREAD_BLAS_DIR)
          : process.env;
    const ours = runChild(
      process.execPath,
      [...process.execArgv, join(here, 'trainer-ours.ts'), dir],
      oursEnv,
    );
    console.log(`${tag} ours:    ${ours.detail}`);
    console.log(
      `${tag} ours:    ${ours.tokensPerSecond.toFixed(1)} tokens/s, ${(ours.secondsPerStep * 1000).toFixed(1)} ms/step, ` +
        `peak RSS ${ours.peakRssMiB.toFixed(0)} MiB, losses ${fmtLosses(ours.losses)}`,
    );
    if (ours.phasesMs) {
      console.log(
        `${tag} ours:    per step ${ours.phasesMs.map((ms) => ms.toFixed(1)).join(' / ')} ms in forward+backward / clip / optimizer; ` +
          `CPU ${ours.cpuMsPerStep?.toFixed(0)} ms per step (all threads)`,
      );
    }
    if (ours.tensorsStart !== undefined) {
      console.log(
        `${tag} ours:    tensors ${ours.tensorsStart} → ${ours.tensorsEnd}; RSS MiB samples ${ours.rssMiBSamples?.map((x) => x.toFixed(0)).join(' ')}`,
      );
    }
    if (leakSteps > 0 || flag('skip-pytorch')) return { ours };

    if (!existsSync(join(OPENMP_BLAS_DIR, 'libopenblas.so.0')))
      throw new Error(`${OPENMP_BLAS_DIR}/libopenblas.so.0 missing: apt-get install libopenblas0-openmp`);
    const python = process.env.TUNEPLANE_BENCH_PYTHON ?? '/usr/bin/python3';
    const torch = runChild(python, [join(here, 'trainer_pytorch.py'), dir], withLibraryPath(OPENMP_BLAS_DIR));
    const mapped = torch.blasMapped ?? [];
    if (!mapped.some((p) => p.startsWith(`${OPENMP_BLAS_DIR}/`)) || mapped.some((p) => p.includes('pthread')))
      throw new Error(`PyTorch did not run on the OpenMP OpenBLAS build; mapped: ${mapped.join(', ')}`);
    console.log(`${tag} pytorch: ${torch.detail}`);
    console.log(`${tag} pytorch: BLAS mapped ${mapped.join(', ')}`);
    console.log(
      `${tag} pytorch: ${torch.tokensPerSecond.toFixed(1)} tokens/s, ${(torch.secondsPerStep * 1000).toFixed(1)} ms/step, ` +
        `peak RSS ${torch.peakRssMiB.toFixed(0)} MiB, losses ${fmtLosses(torch.losses)}; CPU ${torch.cpuMsPerStep?.toFixed(0)} ms per step (all threads)`,
    );
    const n = Math.min(ours.losses.length, torch.losses.length);
    const drift = Math.max(...ours.losses.slice(0, n).map((l, i) => Math.abs(l - torch.losses[i])));
    console.log(
      `${tag} same model check: max |loss_ours - loss_pytorch| over ${n} steps = ${drift.toExponential(2)} ` +
        `(first step ${ours.losses[0]?.toFixed(6)} vs ${torch.losses[0]?.toFixed(6)})`,
    );
    console.log(
      `${tag} ratio=${(ours.tokensPerSecond / torch.tokensPerSecond).toFixed(3)} rss_ratio=${(ours.peakRssMiB / torch.peakRssMiB).toFixed(3)}`,
    );
    return { ours, torch };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const names = (arg('configs') ?? 'A,B,C').split(',').map((s) => s.trim().toUpperCase());
  const results = new Map<string, Pair>();
  for (const name of names) {
    const cfg = CONFIGS[name as BenchConfig['name']];
    if (!cfg) throw new Error(`unknown config ${name}: use A, B or C`);
    results.set(name, benchConfig(cfg));
  }
  const f = (x: number | undefined, digits: number) => (x === undefined ? 'NaN' : x.toFixed(digits));
  const ratio = (name: string, key: 'tokensPerSecond' | 'peakRssMiB') => {
    const p = results.get(name);
    return p?.torch ? p.ours[key] / p.torch[key] : undefined;
  };
  const b = results.get('B');
  console.log(
    `tokens_per_s_ours=${f(b?.ours.tokensPerSecond, 1)} tokens_per_s_pytorch=${f(b?.torch?.tokensPerSecond, 1)} ` +
      `ratio=${f(ratio('B', 'tokensPerSecond'), 3)} rss_ratio=${f(ratio('B', 'peakRssMiB'), 3)} ` +
      `ratio_a=${f(ratio('A', 'tokensPerSecond'), 3)} ratio_c=${f(ratio('C', 'tokensPerSecond'), 3)} ` +
      `rss_ratio_c=${f(ratio('C', 'peakRssMiB'), 3)}`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
