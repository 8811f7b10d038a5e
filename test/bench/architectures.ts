/**
 * What each attention option costs and what it reaches, side by side in one run:
 *
 * 1. Cost: for T in 256 … 4,096, wall time and memory of one training step (forward, backward,
 *    clipping, AdamW) of one small Llama-layout model (hidden 128, 4 heads of 32, 2 layers, RoPE,
 *    batch 1) with full causal attention (the plain fused kernel, which saves the probabilities),
 *    the memory-efficient exact kernel (forced on), a sliding window of 128 and linear attention.
 *    Each (option, T) runs in its own child process, so its peak RSS is its own; "step MiB" is the
 *    peak RSS minus the RSS just before the first step (the model, runtime and tfjs are common to
 *    all and would hide the ratio). Time is the median of the measured steps after a warm-up one.
 * 2. Quality: each option trains the same model from the same initialisation on tinyshakespeare
 *    (characters, T 256, batch 8) for the same number of tokens; the loss over the held-out tail.
 *
 * Last line: exact_mem_ratio_4096=… linear_time_ratio_4096=… best_valid_loss=… (ratios against
 * full attention at 4,096 positions: the exact kernel's step memory, linear attention's step time;
 * the lowest validation loss of the four).
 *
 *   npm run bench:architectures -- [--seqs 256,512,…] [--steps N] [--quality-steps N] [--skip-quality]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../runner/backend';
import { createModel, parseModelConfig, variableGrads } from '../../runner/model';
import { setExactAttentionKernel } from '../../runner/model/ops/attention';
import { clipCoefficient, createOptimizer, globalNorm } from '../../runner/optim';
import { lossSum } from '../../runner/train/loss';
import { runSession } from '../../runner/train/session';
import { shakespeare } from '../integration/runner/fixtures';

const OPTIONS = ['full', 'exact', 'sliding_window', 'linear'] as const;
type Option = (typeof OPTIONS)[number];
const WINDOW = 128;

function modelConfig(option: Option, context: number, vocab: number) {
  return {
    model_type: 'llama',
    hidden_size: 128,
    intermediate_size: 344,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    max_position_embeddings: context,
    ...(vocab ? { vocab_size: vocab } : {}),
    tie_word_embeddings: false,
    attention_dropout: 0,
    ...(option === 'sliding_window' ? { sliding_window: WINDOW } : {}),
    ...(option === 'linear' ? { attention_type: 'linear' } : {}),
  };
}

/** full forces the plain kernel at every length, exact the tiled one; the others run as the trainer would. */
function forceKernel(option: Option) {
  setExactAttentionKernel(option === 'full' ? 'plain' : option === 'exact' ? 'tiled' : 'auto');
}

interface CostResult {
  option: Option;
  seq: number;
  msPerStep: number;
  peakMiB: number;
  stepMiB: number;
}

async function costChild(option: Option, seq: number, steps: number): Promise<CostResult> {
  await initBackend({ log: () => undefined });
  forceKernel(option);
  const vocab = 256;
  const model = createModel(parseModelConfig(modelConfig(option, seq, vocab)), { seed: 1 });
  const names = [...model.weights.keys()];
  const vars = names.map((n) => model.weights.get(n)!);
  const optimizer = createOptimizer({
    kind: 'adamw',
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    momentum: 0,
    weightDecay: 0.1,
  });
  const step = async (i: number) => {
    const ids = Int32Array.from({ length: seq }, (_, j) => (j * 31 + i * 7) % vocab);
    const targets = Int32Array.from({ length: seq }, (_, j) => (j * 17 + i * 5 + 1) % vocab);
    const t = {
      ids: tf.tensor2d(ids, [1, seq], 'int32'),
      targets: tf.tensor2d(targets, [1, seq], 'int32'),
      mask: tf.ones([1, seq]) as tf.Tensor2D,
    };
    const { value, grads } = variableGrads(
      () => tf.div(lossSum(model, t, { training: true, seed: i }).loss, seq) as tf.Scalar,
      vars,
    );
    value.dataSync();
    const named = new Map(names.map((n, k) => [n, grads[vars[k].name]]));
    const scale = clipCoefficient(await globalNorm(named.values()), 1);
    optimizer.apply(model.weights, named, 1e-3, scale);
    tf.dispose([...named.values(), value, t.ids, t.targets, t.mask]);
  };
  const before = process.memoryUsage().rss;
  const times: number[] = [];
  for (let i = 0; i <= steps; i++) {
    const t0 = performance.now();
    await step(i);
    if (i > 0) times.push(performance.now() - t0); // step 0 warms up
  }
  times.sort((a, b) => a - b);
  const peak = process.resourceUsage().maxRSS * 1024;
  return {
    option,
    seq,
    msPerStep: times[Math.floor(times.length / 2)],
    peakMiB: peak / 2 ** 20,
    stepMiB: (peak - before) / 2 ** 20,
  };
}

interface QualityResult {
  option: Option;
  validLoss: number;
  tokens: number;
  seconds: number;
}

async function qualityChild(option: Option, steps: number): Promise<QualityResult> {
  await initBackend({ log: () => undefined });
  forceKernel(option);
  const text = shakespeare();
  const validation = text.slice(-8000);
  const seq = 256,
    batch = 8;
  // one epoch over steps × batch examples of seq + 1 characters, never reaching the held-out tail
  const train = text.slice(0, Math.min(text.length - validation.length, steps * batch * (seq + 1)));
  const t0 = performance.now();
  const { result } = await runSession({
    model: { config: modelConfig(option, seq, 0) }, // vocabulary from the characters
    train,
    validation,
    hyperparameters: {
      n_epochs: 1,
      batch_size: batch,
      learning_rate: 3e-3,
      warmup_steps: 10,
      lr_scheduler: 'cosine',
      weight_decay: 0,
      max_sequence_length: seq,
      metrics_interval_steps: 1000,
      eval_interval_steps: 100000,
      seed: 1,
    },
    sink: { metrics: () => undefined },
  });
  return {
    option,
    validLoss: result.last?.full_valid_loss ?? NaN,
    tokens: result.steps * batch * seq,
    seconds: (performance.now() - t0) / 1000,
  };
}

function child<T>(args: string[]): T {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) throw new Error(`child ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(line.slice('RESULT '.length)) as T;
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

async function main() {
  const [mode] = process.argv.slice(2);
  if (mode === '--cost-child') {
    const [, option, seq, steps] = process.argv.slice(2);
    console.log(`RESULT ${JSON.stringify(await costChild(option as Option, Number(seq), Number(steps)))}`);
    return;
  }
  if (mode === '--quality-child') {
    const [, option, steps] = process.argv.slice(2);
    console.log(`RESULT ${JSON.stringify(await qualityChild(option as Option, Number(steps)))}`);
    return;
  }
  const seqs = flag('seqs', '256,512,1024,2048,4096').split(',').map(Number);
  const steps = Number(flag('steps', '3'));
  const qualitySteps = Number(flag('quality-steps', '120'));
  const started = performance.now();

  const cost = new Map<string, CostResult>();
  console.log(
    `step cost: batch 1, median of ${steps} steps after a warm-up one; step MiB = peak RSS − RSS before the first step`,
  );
  console.log(`${pad('T', 5)} ${OPTIONS.map((o) => `${pad(o, 15)} ms   MiB`).join('  ')}`);
  for (const seq of seqs) {
    const cells: string[] = [];
    for (const option of OPTIONS) {
      const r = child<CostResult>(['--cost-child', option, String(seq), String(steps)]);
      cost.set(`${option}:${seq}`, r);
      cells.push(`${pad(Math.round(r.msPerStep), 18)} ${pad(Math.round(r.stepMiB), 5)}`);
    }
    console.log(`${pad(seq, 5)} ${cells.join('  ')}`);
  }
  console.log('peak RSS (MiB) per option and T:');
  for (const option of OPTIONS)
    console.log(
      `  ${option.padEnd(15)} ${seqs.map((s) => Math.round(cost.get(`${option}:${s}`)!.peakMiB)).join(' / ')}`,
    );
  for (const option of OPTIONS) {
    const growth = seqs
      .slice(1)
      .map((s, i) =>
        (cost.get(`${option}:${s}`)!.msPerStep / cost.get(`${option}:${seqs[i]}`)!.msPerStep).toFixed(2),
      );
    console.log(`time ratio per doubling of T, ${option}: ${growth.join(' ')}`);
  }

  let best = { option: 'none', validLoss: NaN };
  if (!process.argv.includes('--skip-quality')) {
    console.log(
      `quality: tinyshakespeare characters, T 256, batch 8, ${qualitySteps} steps each (same tokens, same seed)`,
    );
    for (const option of OPTIONS) {
      const q = child<QualityResult>(['--quality-child', option, String(qualitySteps)]);
      console.log(
        `  ${option.padEnd(15)} valid loss ${q.validLoss.toFixed(4)} after ${q.tokens} tokens (${q.seconds.toFixed(0)} s)`,
      );
      if (!(q.validLoss >= best.validLoss)) best = q;
    }
    console.log(`best: ${best.option}`);
  }
  const last = seqs[seqs.length - 1];
  const full = cost.get(`full:${last}`)!;
  const exactRatio = cost.get(`exact:${last}`)!.stepMiB / full.stepMiB;
  const linearRatio = cost.get(`linear:${last}`)!.msPerStep / full.msPerStep;
  console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  console.log(
    `exact_mem_ratio_${last}=${exactRatio.toFixed(3)} linear_time_ratio_${last}=${linearRatio.toFixed(3)} best_valid_loss=${best.validLoss.toFixed(4)}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
