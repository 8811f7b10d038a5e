/**
 * The native kernels under a real training step: runner/model's GPT-2, runner/train/loss, clip and
 * AdamW from runner/optim. Gradients must equal the pure-JS backend's (normwise 1e-5, see
 * kernels.test.ts for why), and 1,000 steps must not grow the tensor count or the process memory.
 */
import * as tf from '@tensorflow/tfjs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, parseModelConfig } from '../../../../runner/model';
import { loadAddon, registerNativeKernels, unregisterNativeKernels } from '../../../../runner/native';
import { clipByGlobalNorm, createOptimizer } from '../../../../runner/optim';
import { lossSum } from '../../../../runner/train/loss';

const TINY = {
  model_type: 'gpt2',
  vocab_size: 48,
  n_positions: 16,
  n_embd: 16,
  n_layer: 2,
  n_head: 2,
  resid_pdrop: 0,
  embd_pdrop: 0,
  attn_pdrop: 0,
};
// A full collection before each heap reading, so garbage awaiting GC does not count as growth.
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;
function retainedHeap(): number {
  collect();
  return v8.getHeapStatistics().used_heap_size;
}

/**
 * Live C-heap bytes (tensor data included) after a full GC and a pause for V8's concurrent
 * ArrayBuffer sweeper. RSS itself wanders by ±40 MiB here with allocator caching, for the pure-JS
 * backend as much as for ours, so it cannot resolve a leak; this count can.
 */
async function nativeHeap(): Promise<number> {
  collect();
  await new Promise((r) => setTimeout(r, 20));
  const loaded = loadAddon();
  return loaded.ok ? loaded.addon.nativeHeapBytes() : NaN;
}

const B = 2;
const T = 12;

function batch(step: number) {
  const ids = new Int32Array(B * T).map((_, i) => (i * 7 + step * 13) % TINY.vocab_size);
  const targets = new Int32Array(B * T).map((_, i) => (i * 5 + step * 3 + 1) % TINY.vocab_size);
  return {
    ids: tf.tensor2d(ids, [B, T], 'int32'),
    targets: tf.tensor2d(targets, [B, T], 'int32'),
    mask: tf.ones([B, T]) as tf.Tensor2D,
  };
}

function gradients(): Map<string, Float32Array> {
  const model = createModel(parseModelConfig(TINY), { seed: 7 });
  const names = [...model.weights.keys()];
  const vars = names.map((n) => model.weights.get(n)!);
  const t = batch(0);
  const { value, grads } = tf.variableGrads(
    () => tf.div(lossSum(model, t, { training: true }).loss, B * T) as tf.Scalar,
    vars,
  );
  const out = new Map(names.map((n, k) => [n, grads[vars[k].name].dataSync().slice() as Float32Array]));
  tf.dispose([value, ...Object.values(grads), t.ids, t.targets, t.mask]);
  model.dispose();
  return out;
}

describe.runIf(loadAddon().ok)('training step on native kernels', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => unregisterNativeKernels());

  it('gives the pure-JS backend’s gradients for every weight of a GPT-2', () => {
    unregisterNativeKernels();
    const js = gradients();
    expect(registerNativeKernels({ log: () => {} }).active).toBe(true);
    const native = gradients();
    expect([...native.keys()]).toEqual([...js.keys()]);
    for (const [name, g] of js) {
      const n = native.get(name)!;
      let d = 0,
        m = 0;
      for (let i = 0; i < g.length; i++) {
        d = Math.max(d, Math.abs(n[i] - g[i]));
        m = Math.max(m, Math.abs(g[i]));
      }
      expect(m, name).toBeGreaterThan(0);
      expect(d / m, name).toBeLessThanOrEqual(1e-5);
    }
  });

  it('keeps tensor count and memory flat over 1,000 AdamW steps', async () => {
    registerNativeKernels({ log: () => {} });
    const model = createModel(parseModelConfig(TINY), { seed: 3 });
    const names = [...model.weights.keys()];
    const vars = names.map((n) => model.weights.get(n)!);
    const opt = createOptimizer({
      kind: 'adamw',
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      momentum: 0,
      weightDecay: 0.1,
    });
    const losses: number[] = [];
    let tensorsAt50 = 0;
    let heapAt50 = 0;
    const early: number[] = [];
    const late: number[] = [];
    for (let step = 0; step < 1000; step++) {
      const t = batch(step % 4);
      const { value, grads } = tf.variableGrads(
        () => tf.div(lossSum(model, t, { training: true }).loss, B * T) as tf.Scalar,
        vars,
      );
      losses.push(value.dataSync()[0]);
      const clipped = await clipByGlobalNorm(new Map(names.map((n, k) => [n, grads[vars[k].name]])), 1.0);
      opt.apply(model.weights, clipped.grads, 1e-3);
      tf.dispose([...clipped.grads.values(), value, t.ids, t.targets, t.mask]);
      if (step === 50) {
        tensorsAt50 = tf.memory().numTensors;
        heapAt50 = retainedHeap();
      }
      // Averages of five readings in two windows 500 steps apart smooth out the allocator's wander.
      if (step >= 300 && step <= 500 && step % 50 === 0) early.push(await nativeHeap());
      if (step >= 799 && step % 50 === 49) late.push(await nativeHeap());
    }
    // Every tensor a step makes is gone at its end: only weights and optimizer slots stay.
    expect(tf.memory().numTensors).toBe(tensorsAt50);
    expect(tf.memory().numTensors).toBe(3 * names.length);
    // Retained JS heap does not grow with steps: a leak of 1 KiB a step would add ~1 MB.
    const heapGrowth = retainedHeap() - heapAt50;
    expect(heapGrowth).toBeLessThan(2 ** 20);
    // Native allocations (C scratch buffers, tensor data). A step here runs ~1,200 kernels, so a
    // leak of 8 bytes per kernel call would add 4.6 MiB over the 500 steps between the windows; V8
    // itself (JIT metadata while code warms up) accounts for ~1-2 MiB of drift here.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const nativeGrowth = mean(late) - mean(early);
    console.info(
      `1,000 steps: JS heap ${(heapGrowth / 2 ** 10).toFixed(0)} KiB after step 50, C heap ${(nativeGrowth / 2 ** 20).toFixed(2)} MiB from steps 300–500 to 800–1000`,
    );
    expect(late).toHaveLength(5);
    expect(nativeGrowth).toBeLessThan(4 * 2 ** 20);
    // and it trained: four repeating batches are learned
    expect(losses[999]).toBeLessThan(losses[0] * 0.5);
    opt.dispose();
    model.dispose();
  });
});
