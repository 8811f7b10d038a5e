/**
 * Our side of test/bench/trainer.ts, run as a child process: `tsx trainer-ours.ts <dir>` reads
 * run.json and tokens.bin from <dir>, writes the initial weights to init.safetensors for the
 * PyTorch side, trains, and prints one RESULT JSON line (progress and profiles go to stderr).
 *
 * One step is a Trainer step's computation: runner/model's forward, runner/train/loss's summed
 * cross-entropy divided by the token count, runner/model's variableGrads, global-norm clipping (its coefficient
 * handed to the optimizer) and the optimizer.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../runner/backend';
import { createModel, parseModelConfig, variableGrads } from '../../runner/model';
import { nativeStatus, setNativeThreads } from '../../runner/native';
import { clipCoefficient, createOptimizer, globalNorm } from '../../runner/optim';
import { lossSum } from '../../runner/train/loss';
import type { EngineResult, RunSpec } from './trainer';

function readRun(dir: string): RunSpec & { tokens: Int32Array } {
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunSpec;
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

async function main(dir: string): Promise<void> {
  const run = readRun(dir);
  // The runner's own backend selection, which registers the native kernels on the cpu backend.
  if (run.native) await initBackend({ prefer: 'cpu', log: () => {} });
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
    const { value, grads } = variableGrads(
      () => tf.div(lossSum(model, t, { training: true, seed: i }).loss, B * T) as tf.Scalar,
      vars,
    );
    const loss = value.dataSync()[0];
    const p1 = performance.now();
    const named = new Map(names.map((n, k) => [n, grads[vars[k].name]]));
    const scale = clipCoefficient(await globalNorm(named.values()), train.maxGradNorm);
    const p2 = performance.now();
    optimizer.apply(model.weights, named, train.lr, scale);
    phases[0] += p1 - p0;
    phases[1] += p2 - p1;
    phases[2] += performance.now() - p2;
    tf.dispose([...named.values(), value, t.ids, t.targets, t.mask]);
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
    const calls = sorted.reduce((s, [, v]) => s + v.calls, 0);
    console.error(
      `kernel time per step (ms), total ${(sum / timed).toFixed(1)} of ${((seconds * 1000) / timed).toFixed(1)} wall, ${(calls / timed).toFixed(0)} calls:`,
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

await main(process.argv[2]);
