/**
 * Optimizers written on tf ops, because tfjs's own have no AdamW and hide their state from
 * checkpoints. Each keeps its state as named tensors that `state()` exports and `load()` restores.
 *
 * Conventions follow PyTorch (so results can be compared with it):
 *  - adamw: decoupled weight decay, p ← p·(1 − lr·wd) before the Adam step;
 *  - adam:  L2, g ← g + wd·p;
 *  - sgd:   L2, then momentum buffer b ← μ·b + g, p ← p − lr·b.
 * Weight decay applies to matrices (rank ≥ 2) only; biases and norm gains are not decayed (as nanoGPT, HF).
 *
 * With runner/native's kernels active, one native call updates every parameter and its state in
 * place (the same formulas in float32); otherwise each update is a handful of tf ops per parameter.
 */
import * as tf from '@tensorflow/tfjs';
import { activeNativeAddon, OptimizerKind, ownedVariable, readValues, writableValues } from '../native';

export type OptimizerKind = 'adamw' | 'adam' | 'sgd';

export interface OptimizerSettings {
  kind: OptimizerKind;
  beta1: number;
  beta2: number;
  epsilon: number;
  momentum: number;
  weightDecay: number;
}

export interface Optimizer {
  readonly settings: OptimizerSettings;
  /** Updates applied so far. */
  readonly steps: number;
  /**
   * One update of every parameter that has a gradient, the gradients first multiplied by
   * `gradScale` (global-norm clipping: see clipCoefficient). Gradients are not disposed.
   */
  apply(
    params: Map<string, tf.Variable>,
    grads: Map<string, tf.Tensor>,
    lr: number,
    gradScale?: number,
  ): void;
  /** State as named tensors (copies the caller disposes) for checkpoints. */
  state(): { tensors: Map<string, tf.Tensor>; steps: number };
  load(state: { tensors: Map<string, tf.Tensor>; steps: number }): void;
  dispose(): void;
}

export function createOptimizer(settings: OptimizerSettings): Optimizer {
  return new TfOptimizer(settings);
}

class TfOptimizer implements Optimizer {
  private slots = new Map<string, tf.Variable>();
  steps = 0;

  constructor(readonly settings: OptimizerSettings) {}

  private slot(name: string, like: tf.Tensor): tf.Variable {
    let s = this.slots.get(name);
    if (!s) {
      s = ownedVariable(like.shape);
      this.slots.set(name, s);
    }
    return s;
  }

  apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, lr: number, gradScale = 1): void {
    const { kind, beta1, beta2, epsilon, momentum, weightDecay } = this.settings;
    this.steps++;
    const t = this.steps;
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    if (this.applyNative(params, grads, [lr, beta1, beta2, epsilon, momentum, bc1, bc2, gradScale])) return;
    for (const [name, p] of params) {
      const raw = grads.get(name);
      if (!raw) continue;
      const g0 = gradScale === 1 ? raw : tf.mul(raw, gradScale);
      const decay = weightDecay > 0 && p.rank >= 2 ? weightDecay : 0;
      tf.tidy(() => {
        if (kind === 'sgd') {
          const g = decay ? g0.add(p.mul(decay)) : g0;
          const buf = this.slot(`momentum/${name}`, p);
          const b = this.steps === 1 && !momentum ? g : buf.mul(momentum).add(g);
          buf.assign(b);
          p.assign(p.sub(b.mul(lr)));
          return;
        }
        const g = kind === 'adam' && decay ? g0.add(p.mul(decay)) : g0;
        const m = this.slot(`exp_avg/${name}`, p);
        const v = this.slot(`exp_avg_sq/${name}`, p);
        m.assign(m.mul(beta1).add(g.mul(1 - beta1)));
        v.assign(v.mul(beta2).add(g.square().mul(1 - beta2)));
        const base = kind === 'adamw' && decay ? p.mul(1 - lr * decay) : p;
        const update = m.div(bc1).div(v.div(bc2).sqrt().add(epsilon)).mul(lr);
        p.assign(base.sub(update));
      });
      if (g0 !== raw) g0.dispose();
    }
  }

  /** Every update in one native call; false (nothing changed) when a tensor is not on the cpu backend. */
  private applyNative(
    params: Map<string, tf.Variable>,
    grads: Map<string, tf.Tensor>,
    hyper: number[],
  ): boolean {
    const addon = activeNativeAddon();
    if (!addon) return false;
    const { kind, weightDecay } = this.settings;
    const live = [...params].filter(([name]) => grads.has(name));
    const g = live.map(([name]) => readValues(grads.get(name)!));
    if (g.some((x) => x === null) || live.some(([, p]) => !readValues(p))) return false;
    const prefix = kind === 'sgd' ? ['momentum/'] : ['exp_avg/', 'exp_avg_sq/'];
    const state = prefix.map((pre) => live.map(([name, p]) => writableValues(this.slot(pre + name, p))!));
    const p = live.map(([, v]) => writableValues(v)!);
    const decay = Float32Array.from(live, ([, v]) => (weightDecay > 0 && v.rank >= 2 ? weightDecay : 0));
    addon.optimizerStep(
      OptimizerKind[kind],
      Float64Array.from(hyper),
      p,
      g as Float32Array[],
      state[0],
      state[1] ?? [],
      decay,
    );
    return true;
  }

  state(): { tensors: Map<string, tf.Tensor>; steps: number } {
    const tensors = new Map<string, tf.Tensor>();
    for (const [k, v] of this.slots) tensors.set(k, v.clone());
    return { tensors, steps: this.steps };
  }

  load(state: { tensors: Map<string, tf.Tensor>; steps: number }): void {
    this.dispose();
    for (const [k, v] of state.tensors) this.slots.set(k, tf.variable(v.clone(), false));
    this.steps = state.steps;
  }

  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }
}
