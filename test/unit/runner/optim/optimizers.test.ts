import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { clipByGlobalNorm, createOptimizer, type OptimizerKind } from '../../../../runner/optim';

const settings = (kind: OptimizerKind, weightDecay = 0) => ({
  kind,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  momentum: 0.9,
  weightDecay,
});

function run(
  kind: OptimizerKind,
  grads: number[][],
  lr: number,
  weightDecay = 0,
  init = [[1, -2]],
): number[] {
  const opt = createOptimizer(settings(kind, weightDecay));
  const p = tf.variable(tf.tensor2d(init));
  for (const g of grads) {
    const gt = tf.tensor2d([g]);
    opt.apply(new Map([['w', p]]), new Map([['w', gt]]), lr);
    gt.dispose();
  }
  const out = [...p.dataSync()];
  p.dispose();
  opt.dispose();
  return out;
}

describe('optimizers', () => {
  it('adam moves each weight by about lr on its first step whatever the gradient scale; sgd moves by lr·g', () => {
    const [a0, a1] = run('adam', [[100, -0.01]], 0.1);
    expect(a0).toBeCloseTo(1 - 0.1, 5);
    expect(a1).toBeCloseTo(-2 + 0.1, 5);
    const [s0, s1] = run('sgd', [[100, -0.01]], 0.1);
    expect(s0).toBeCloseTo(1 - 10, 5);
    expect(s1).toBeCloseTo(-2 + 0.001, 5);
  });

  it('sgd momentum accumulates: two equal gradients move lr·g·(1 + (1 + μ))', () => {
    const [w] = run(
      'sgd',
      [
        [1, 0],
        [1, 0],
      ],
      0.1,
    );
    expect(w).toBeCloseTo(1 - 0.1 - 0.1 * 1.9, 6);
  });

  it('matches PyTorch Adam after 3 steps (reference values computed by hand from the update rule)', () => {
    const grads = [
      [0.5, -1],
      [0.1, 0.3],
      [-0.2, 0.4],
    ];
    let m = [0, 0];
    let v = [0, 0];
    const p = [1, -2];
    grads.forEach((g, t) => {
      m = m.map((x, i) => 0.9 * x + 0.1 * g[i]);
      v = v.map((x, i) => 0.999 * x + 0.001 * g[i] ** 2);
      for (let i = 0; i < 2; i++)
        p[i] -= (0.01 * (m[i] / (1 - 0.9 ** (t + 1)))) / (Math.sqrt(v[i] / (1 - 0.999 ** (t + 1))) + 1e-8);
    });
    const got = run('adam', grads, 0.01);
    expect(got[0]).toBeCloseTo(p[0], 5);
    expect(got[1]).toBeCloseTo(p[1], 5);
  });

  it('weight decay shrinks weights: adamw decoupled (p·(1 − lr·wd) even with zero gradient), none without it', () => {
    const zero = Array.from({ length: 5 }, () => [0, 0]);
    const [w] = run('adamw', zero, 0.1, 0.5);
    expect(w).toBeCloseTo((1 - 0.05) ** 5, 4);
    expect(run('adamw', zero, 0.1, 0)[0]).toBeCloseTo(1, 6);
    // adam's L2 goes through the adaptive denominator instead: it shrinks too, differently.
    const [wa] = run('adam', zero, 0.1, 0.5);
    expect(wa).toBeLessThan(1);
    expect(Math.abs(wa - w)).toBeGreaterThan(0.01);
  });

  it('does not decay biases (rank 1)', () => {
    const opt = createOptimizer(settings('adamw', 0.5));
    const b = tf.variable(tf.tensor1d([1, 1]));
    const g = tf.zeros([2]);
    opt.apply(new Map([['b', b]]), new Map([['b', g]]), 0.1);
    expect([...b.dataSync()]).toEqual([1, 1]);
    tf.dispose([b, g]);
    opt.dispose();
  });

  it('state round-trips: a restored optimizer continues exactly', () => {
    const a = createOptimizer(settings('adamw', 0.1));
    const pa = tf.variable(tf.tensor2d([[1, 2]]));
    const g1 = tf.tensor2d([[0.3, -0.7]]);
    a.apply(new Map([['w', pa]]), new Map([['w', g1]]), 0.01);
    const st = a.state();
    const b = createOptimizer(settings('adamw', 0.1));
    b.load(st);
    const pb = tf.variable(pa.clone());
    a.apply(new Map([['w', pa]]), new Map([['w', g1]]), 0.01);
    b.apply(new Map([['w', pb]]), new Map([['w', g1]]), 0.01);
    expect([...pb.dataSync()]).toEqual([...pa.dataSync()]);
    expect(b.steps).toBe(2);
    tf.dispose([pa, pb, g1, ...st.tensors.values()]);
    a.dispose();
    b.dispose();
  });
});

describe('gradient clipping by global norm', () => {
  it('caps the global norm at max_grad_norm and keeps directions', async () => {
    const grads = new Map<string, tf.Tensor>([
      ['a', tf.tensor1d([3, 0])],
      ['b', tf.tensor1d([0, 4])],
    ]);
    const r = await clipByGlobalNorm(grads, 1);
    expect(r.norm).toBeCloseTo(5, 5);
    const after = Math.sqrt([...r.grads.values()].reduce((s, g) => s + tf.sum(g.square()).dataSync()[0], 0));
    expect(after).toBeCloseTo(1, 4);
    expect([...r.grads.get('a')!.dataSync()][0]).toBeCloseTo(0.6, 4);
    tf.dispose([...r.grads.values()]);
    const small = new Map<string, tf.Tensor>([['a', tf.tensor1d([0.3, 0.4])]]);
    const r2 = await clipByGlobalNorm(small, 1);
    expect(r2.grads.get('a')).toBe(small.get('a'));
    const none = await clipByGlobalNorm(r2.grads, null);
    expect(none.norm).toBeCloseTo(0.5, 5);
    tf.dispose([...none.grads.values()]);
  });
});
