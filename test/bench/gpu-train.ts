/**
 * Training throughput on whatever backend is active: the computation of one Trainer step (forward
 * and backward through runner/model, the loss of runner/train, global-norm clipping and AdamW from
 * runner/optim) on random tokens, timed after warm-up steps (a GPU compiles its shaders then).
 * Each step reads its loss, so a step's time includes all of its GPU work.
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { createModel, parseModelConfig, type ModelConfig } from '../../runner/model';
import { clipByGlobalNorm, createOptimizer } from '../../runner/optim';
import { lossSum } from '../../runner/train/loss';

export interface TrainShape {
  config: Record<string, unknown>;
  batch: number;
  seq: number;
}

export interface TrainMeasurement {
  msPerStep: number;
  tokensPerSecond: number;
  losses: number[];
  params: number;
  /** Model FLOPs per token (forward + backward): 6N + 12·layers·d_model·seq (PaLM's appendix B). */
  flopsPerToken: number;
}

/** GPT-2 small's shape (124M parameters with its 50,257-token vocabulary), context 256. */
export const GPT2_124M = {
  model_type: 'gpt2',
  vocab_size: 50257,
  n_positions: 256,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  activation_function: 'gelu_new',
  resid_pdrop: 0,
  embd_pdrop: 0,
  attn_pdrop: 0,
  tie_word_embeddings: true,
};

/** Bytes of the largest single tensor one step holds: a GPU buffer binding must take it whole. */
export function largestTensorBytes(config: ModelConfig, batch: number, seq: number): number {
  const c = config as unknown as Record<string, number>;
  const vocab = c.vocab_size;
  const d = c.n_embd ?? c.hidden_size;
  const heads = c.n_head ?? c.num_attention_heads;
  const mlp = c.n_inner ?? c.intermediate_size ?? 4 * d;
  return 4 * Math.max(vocab * d, batch * seq * vocab, batch * heads * seq * seq, batch * seq * mlp);
}

export async function measureTraining(
  shape: TrainShape,
  opts: { warmup: number; steps: number; seed?: number },
): Promise<TrainMeasurement> {
  const config = parseModelConfig(shape.config);
  const model = createModel(config, { seed: opts.seed ?? 1234 });
  const vars = [...model.weights.values()];
  const names = [...model.weights.keys()];
  const params = vars.reduce((s, v) => s + v.size, 0);
  const c = config as unknown as Record<string, number>;
  const positions = model.weights.get('transformer.wpe.weight')?.size ?? 0;
  const flopsPerToken = 6 * (params - positions) + 12 * c.n_layer * c.n_embd * shape.seq;
  const optimizer = createOptimizer({
    kind: 'adamw',
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    momentum: 0,
    weightDecay: 0.1,
  });
  const { batch: B, seq: T } = shape;
  let state = 12345;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % config.vocab_size;
  };
  const losses: number[] = [];
  let t0 = 0;
  for (let i = 0; i < opts.warmup + opts.steps; i++) {
    if (i === opts.warmup) t0 = performance.now();
    const t = {
      ids: tf.tensor2d(Int32Array.from({ length: B * T }, random), [B, T], 'int32'),
      targets: tf.tensor2d(Int32Array.from({ length: B * T }, random), [B, T], 'int32'),
      mask: tf.ones([B, T]) as tf.Tensor2D,
    };
    const { value, grads } = tf.variableGrads(
      () => tf.div(lossSum(model, t, { training: true, seed: i }).loss, B * T) as tf.Scalar,
      vars,
    );
    const clipped = await clipByGlobalNorm(new Map(names.map((n, k) => [n, grads[vars[k].name]])), 1.0);
    optimizer.apply(model.weights, clipped.grads, 3e-4);
    tf.dispose([...clipped.grads.values(), t.ids, t.targets, t.mask]);
    losses.push((await value.data())[0]);
    value.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  optimizer.dispose();
  model.dispose();
  return {
    msPerStep: (seconds * 1000) / opts.steps,
    tokensPerSecond: (opts.steps * B * T) / seconds,
    losses,
    params,
    flopsPerToken,
  };
}

/**
 * Peak float32 throughput (TFLOPS, without tensor cores: WebGPU has none) of known NVIDIA GPUs, from
 * NVIDIA's data sheets; the AWS instance families that carry them in brackets.
 */
const PEAK_FP32_TFLOPS: [RegExp, number][] = [
  [/A10G/i, 31.2], // g5
  [/\bL4\b/i, 30.3], // g6
  [/L40S/i, 91.6], // g6e
  [/\bT4\b/i, 8.1], // g4dn
  [/V100/i, 15.7], // p3
  [/A100/i, 19.5], // p4d
  [/H100/i, 67], // p5 (SXM)
  [/RTX 4090/i, 82.6],
  [/RTX 3090/i, 35.6],
];

export interface Peak {
  tflops: number;
  source: string;
}

/**
 * The peak to divide by for MFU: given (flag or TUNEPLANE_PEAK_TFLOPS), a known GPU, or for a
 * software renderer the CPU's own float32 peak (cores × clock × FMA lanes), which is what runs it.
 */
export function peakFor(device: string, software: boolean, given?: number): Peak | undefined {
  if (given && given > 0) return { tflops: given, source: 'given' };
  if (software) {
    const cpu = readCpuInfo();
    // AVX-512 doubles the FMA width on Intel; AMD's Zen 4 runs it on 256-bit units.
    const perCycle =
      cpu.flags.includes('avx512f') && cpu.vendor !== 'AuthenticAMD'
        ? 64
        : cpu.flags.includes('avx2') && cpu.flags.includes('fma')
          ? 32
          : 8;
    const cores = os.availableParallelism();
    const tflops = (cores * cpu.ghz * perCycle) / 1000;
    return tflops > 0
      ? {
          tflops,
          source: `CPU estimate: ${cores} cores × ${cpu.ghz.toFixed(2)} GHz × ${perCycle} flop/cycle`,
        }
      : undefined;
  }
  const known = PEAK_FP32_TFLOPS.find(([re]) => re.test(device));
  return known ? { tflops: known[1], source: `${device} data sheet (fp32)` } : undefined;
}

function readCpuInfo(): { flags: string[]; vendor: string; ghz: number } {
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux: the clock from os.cpus() and no SIMD flags
  }
  const field = (name: string) =>
    text
      .split('\n')
      .find((l) => l.startsWith(name))
      ?.split(':')[1]
      ?.trim() ?? '';
  // os.cpus() reports 0 MHz in some VMs; /proc/cpuinfo still has the clock.
  const mhz = os.cpus()[0]?.speed || Number(field('cpu MHz')) || 0;
  return { flags: field('flags').split(/\s+/), vendor: field('vendor_id'), ghz: mhz / 1000 };
}
