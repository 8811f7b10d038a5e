/**
 * Trainer throughput and memory, ours vs PyTorch, side by side on config B (GPT-2 layout: vocab 512,
 * 4 layers, 4 heads, d_model 256, context 128, batch 8, AdamW). Both engines get the same initial
 * weights (a safetensors file written here) and the same token batches, each in its own child
 * process so peak RSS is per engine. Last line:
 *   tokens_per_s_ours=… tokens_per_s_pytorch=… ratio=… rss_ratio=…
 *
 *   npm run bench:trainer -- [--steps 20] [--warmup 3] [--threads N] [--no-native] [--profile] [--skip-pytorch]
 *   npm run bench:trainer -- --leak-steps 1000   (ours only: tensor count and RSS over many steps)
 *
 * Ours = runner/model's GPT-2 + runner/train/loss + runner/optim (clip + AdamW), the computation of
 * one Trainer step, on the tfjs cpu backend with the runner/native kernels when built.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createModel, parseModelConfig } from '../../runner/model';
import { initBackend } from '../../runner/backend';
import { nativeStatus, setNativeThreads } from '../../runner/native';
import { clipByGlobalNorm, createOptimizer } from '../../runner/optim';
import { lossSum } from '../../runner/train/loss';

export const CONFIG_B = {
  model_type: 'gpt2',
  vocab_size: 512,
  n_positions: 128,
  n_embd: 256,
  n_layer: 4,
  n_head: 4,
  activation_function: 'gelu_new',
  resid_pdrop: 0,
  embd_pdrop: 0,
  attn_pdrop: 0,
  layer_norm_epsilon: 1e-5,
  tie_word_embeddings: true,
};
export const BATCH = 8;
export const SEQ = 128;
export const TRAIN = {
  lr: 3e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.1,
  maxGradNorm: 1.0,
  seed: 1234,
};

export interface EngineResult {
  engine: string;
  tokensPerSecond: number;
  secondsPerStep: number;
  peakRssMiB: number;
  losses: number[];
  detail: string;
  tensorsStart?: number;
  tensorsEnd?: number;
  rssMiBSamples?: number[];
  /** ours: ms per step in forward+backward, gradient clipping, optimizer update */
  phasesMs?: number[];
  /** ours: CPU time (all threads) per step; on a loaded machine a steadier figure than wall time */
  cpuMsPerStep?: number;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

/** Deterministic token stream (LCG), rows of SEQ+1 tokens: ids = row[0..SEQ), targets = row[1..SEQ]. */
function makeTokens(steps: number): Int32Array {
  const out = new Int32Array(steps * BATCH * (SEQ + 1));
  let s = 12345;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = (s >>> 8) % CONFIG_B.vocab_size;
  }
  return out;
}

function runChild(cmd: string, args: string[]): EngineResult {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stdout}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no RESULT line from ${cmd}: ${r.stdout}`);
  return JSON.parse(line.slice(7)) as EngineResult;
}

async function main(): Promise<void> {
  const warmup = arg('warmup', 3);
  const steps = arg('steps', 20);
  const leakSteps = arg('leak-steps', 0);
  const dir = mkdtempSync(join(tmpdir(), 'tuneplane-bench-'));
  try {
    const total = leakSteps > 0 ? leakSteps : warmup + steps;
    writeFileSync(join(dir, 'tokens.bin'), makeTokens(Math.min(total, warmup + steps)));
    writeFileSync(
      join(dir, 'run.json'),
      JSON.stringify({
        config: CONFIG_B,
        batch: BATCH,
        seq: SEQ,
        train: TRAIN,
        warmup,
        steps,
        leakSteps,
        native: !flag('no-native'),
        profile: flag('profile'),
        threads: arg('threads', 0),
      }),
    );
    const self = fileURLToPath(import.meta.url);
    const ours = runChild(process.execPath, [...process.execArgv, self, '--child', dir]);
    console.log(`ours:    ${ours.detail}`);
    console.log(
      `ours:    ${ours.tokensPerSecond.toFixed(1)} tokens/s, ${(ours.secondsPerStep * 1000).toFixed(1)} ms/step, ` +
        `peak RSS ${ours.peakRssMiB.toFixed(0)} MiB, losses ${fmtLosses(ours.losses)}`,
    );
    if (ours.phasesMs) {
      console.log(
        `ours:    per step ${ours.phasesMs.map((ms) => ms.toFixed(1)).join(' / ')} ms in forward+backward / clip / AdamW; ` +
          `CPU ${ours.cpuMsPerStep?.toFixed(0)} ms per step (all threads)`,
      );
    }
    if (ours.tensorsStart !== undefined) {
      console.log(
        `ours:    tensors ${ours.tensorsStart} → ${ours.tensorsEnd}; RSS MiB samples ${ours.rssMiBSamples?.map((x) => x.toFixed(0)).join(' ')}`,
      );
    }
    if (leakSteps > 0 || flag('skip-pytorch')) {
      console.log(
        `tokens_per_s_ours=${ours.tokensPerSecond.toFixed(1)} tokens_per_s_pytorch=NaN ratio=NaN rss_ratio=NaN`,
      );
      return;
    }
    const python = process.env.TUNEPLANE_BENCH_PYTHON ?? '/usr/bin/python3';
    const torch = runChild(python, [join(self, '../trainer_pytorch.py'), dir]);
    console.log(`pytorch: ${torch.detail}`);
    console.log(
      `pytorch: ${torch.tokensPerSecond.toFixed(1)} tokens/s, ${(torch.secondsPerStep * 1000).toFixed(1)} ms/step, ` +
        `peak RSS ${torch.peakRssMiB.toFixed(0)} MiB, losses ${fmtLosses(torch.losses)}; CPU ${torch.cpuMsPerStep?.toFixed(0)} ms per step (all threads)`,
    );
    const n = Math.min(ours.losses.length, torch.losses.length);
    const drift = Math.max(...ours.losses.slice(0, n).map((l, i) => Math.abs(l - torch.losses[i])));
    console.log(
      `same model check: max |loss_ours - loss_pytorch| over ${n} steps = ${drift.toExponential(2)} ` +
        `(first step ${ours.losses[0]?.toFixed(6)} vs ${torch.losses[0]?.toFixed(6)})`,
    );
    console.log(
      `tokens_per_s_ours=${ours.tokensPerSecond.toFixed(1)} tokens_per_s_pytorch=${torch.tokensPerSecond.toFixed(1)} ` +
        `ratio=${(ours.tokensPerSecond / torch.tokensPerSecond).toFixed(3)} rss_ratio=${(ours.peakRssMiB / torch.peakRssMiB).toFixed(3)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmtLosses(l: number[]): string {
  return l.length <= 6
    ? l.map((x) => x.toFixed(4)).join(' ')
    : `${l
        .slice(0, 3)
        .map((x) => x.toFixed(4))
        .join(' ')} … ${l
        .slice(-2)
        .map((x) => x.toFixed(4))
        .join(' ')}`;
}

function readRun(dir: string): {
  config: typeof CONFIG_B;
  batch: number;
  seq: number;
  train: typeof TRAIN;
  warmup: number;
  steps: number;
  leakSteps: number;
  native: boolean;
  profile: boolean;
  threads: number;
  tokens: Int32Array;
} {
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  const buf = readFileSync(join(dir, 'tokens.bin'));
  return { ...run, tokens: new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4) };
}

/** Minimal safetensors writer (8-byte LE header length, JSON header, raw little-endian F32 data). */
function writeSafetensors(path: string, tensors: Map<string, { shape: number[]; data: Float32Array }>): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const fd = openSync(path, 'w');
  writeSync(fd, len);
  writeSync(fd, Buffer.from(json, 'utf8'));
  for (const t of tensors.values())
    writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  closeSync(fd);
}

/** Times every cpu kernel call (outermost calls only: kernels that call kernels directly are inside). */
function installKernelTimer(): Map<string, { ms: number; calls: number }> {
  const times = new Map<string, { ms: number; calls: number }>();
  for (const k of tf.getKernelsForBackend('cpu')) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, 'cpu');
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        const t0 = performance.now();
        const r = inner(args);
        const e = times.get(k.kernelName) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t0;
        e.calls++;
        times.set(k.kernelName, e);
        return r;
      },
    });
  }
  return times;
}

async function child(dir: string): Promise<void> {
  const run = readRun(dir);
  // The runner's own backend selection, which registers the native kernels on the cpu backend.
  if (run.native) await initBackend({ prefer: 'cpu' });
  else await tf.setBackend('cpu');
  if (run.threads > 0) setNativeThreads(run.threads);
  const status = run.native ? nativeStatus() : { active: false, reason: '--no-native', blas: '', threads: 0 };
  const times = run.profile ? installKernelTimer() : undefined;
  const { batch: B, seq: T, train } = run;
  const model = createModel(parseModelConfig(run.config), { seed: train.seed });
  const names = [...model.weights.keys()];
  const vars = names.map((n) => model.weights.get(n)!);
  writeSafetensors(
    join(dir, 'init.safetensors'),
    new Map(names.map((n, i) => [n, { shape: vars[i].shape, data: vars[i].dataSync() as Float32Array }])),
  );
  const optimizer = createOptimizer({
    kind: 'adamw',
    beta1: train.beta1,
    beta2: train.beta2,
    epsilon: train.eps,
    momentum: 0,
    weightDecay: train.weightDecay,
  });
  const rows = run.tokens.length / (T + 1);
  const phases = [0, 0, 0]; // forward+backward, clip, optimizer (ms)
  const step = async (i: number): Promise<number> => {
    const ids = new Int32Array(B * T),
      targets = new Int32Array(B * T);
    for (let r = 0; r < B; r++) {
      const row = run.tokens.subarray(((i * B + r) % rows) * (T + 1), (((i * B + r) % rows) + 1) * (T + 1));
      ids.set(row.subarray(0, T), r * T);
      targets.set(row.subarray(1), r * T);
    }
    const t = {
      ids: tf.tensor2d(ids, [B, T], 'int32'),
      targets: tf.tensor2d(targets, [B, T], 'int32'),
      mask: tf.ones([B, T]) as tf.Tensor2D,
    };
    // As Trainer.gradients: loss summed over tokens, divided by the step's token count.
    const p0 = performance.now();
    const { value, grads } = tf.variableGrads(
      () => tf.div(lossSum(model, t, { training: true, seed: i }).loss, B * T) as tf.Scalar,
      vars,
    );
    const loss = value.dataSync()[0];
    const p1 = performance.now();
    const named = new Map(names.map((n, k) => [n, grads[vars[k].name]]));
    const clipped = await clipByGlobalNorm(named, train.maxGradNorm);
    const p2 = performance.now();
    optimizer.apply(model.weights, clipped.grads, train.lr);
    phases[0] += p1 - p0;
    phases[1] += p2 - p1;
    phases[2] += performance.now() - p2;
    tf.dispose([...clipped.grads.values(), value, t.ids, t.targets, t.mask]);
    return loss;
  };
  const losses: number[] = [];
  const total = run.leakSteps > 0 ? run.leakSteps : run.warmup + run.steps;
  const warm = run.leakSteps > 0 ? Math.min(run.warmup, total) : run.warmup;
  const rssSamples: number[] = [];
  let tensorsStart = 0;
  let t0 = 0;
  let cpu0 = process.cpuUsage();
  for (let i = 0; i < total; i++) {
    if (i === warm) {
      if (times) times.clear();
      phases.fill(0);
      tensorsStart = tf.memory().numTensors;
      t0 = performance.now();
      cpu0 = process.cpuUsage();
    }
    losses.push(await step(i));
    if (run.leakSteps > 0 && (i + 1) % Math.max(1, Math.floor(total / 10)) === 0)
      rssSamples.push(process.memoryUsage().rss / 2 ** 20);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const timed = total - warm;
  if (times) {
    const sorted = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms);
    const sum = sorted.reduce((s, [, v]) => s + v.ms, 0);
    console.error(
      `kernel time per step (ms), total ${(sum / timed).toFixed(1)} of ${((seconds * 1000) / timed).toFixed(1)} wall:`,
    );
    for (const [k, v] of sorted.slice(0, 25))
      console.error(
        `  ${k.padEnd(22)} ${(v.ms / timed).toFixed(2).padStart(8)}  (${(v.calls / timed).toFixed(0)} calls)`,
      );
  }
  const result: EngineResult = {
    engine: 'ours',
    tokensPerSecond: (timed * B * T) / seconds,
    secondsPerStep: seconds / timed,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    losses,
    phasesMs: phases.map((ms) => ms / timed),
    cpuMsPerStep: (cpu.user + cpu.system) / 1000 / timed,
    detail:
      `tfjs ${tf.version.tfjs} backend ${tf.getBackend()}, native kernels ${status.active ? `on (${status.blas}, ${status.threads} threads)` : `off (${status.reason})`}; ` +
      `${vars.reduce((s, v) => s + v.size, 0)} params; ${timed} timed steps after ${warm} warm-up`,
    ...(run.leakSteps > 0
      ? { tensorsStart, tensorsEnd: tf.memory().numTensors, rssMiBSamples: rssSamples }
      : {}),
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv[2] === '--child') await child(process.argv[3]);
  else await main();
}
