/**
 * Optimizers written on tf ops, because tfjs's own have no AdamW and hide their state from
 * checkpoints. Each keeps its state as named tensors that `state()` exports and `load()` restores.
 *
 * Conventions follow PyTorch (so results can be compared with it):
 *  - adamw: decoupled weight decay, p ← p·(1 − lr·wd) before the Adam step;
 *  - adam:  L2, g ← g + wd·p;
 *  - sgd:   L2, then momentum buffer b ← μ·b + g, p ← p − lr·b.
 * Weight decay applies to matrices (rank ≥ 2) only; biases and norm gains are not decayed (as nanoGPT, HF).
 */
import * as tf from '@tensorflow/tfjs';

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
  /** One update of every parameter that has a gradient. Gradients are not disposed. */
  apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, lr: number): void;
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
      s = tf.variable(tf.zerosLike(like), false);
      this.slots.set(name, s);
    }
    return s;
  }

  apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, lr: number): void {
    const { kind, beta1, beta2, epsilon, momentum, weightDecay } = this.settings;
    this.steps++;
    const t = this.steps;
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    for (const [name, p] of params) {
      const g0 = grads.get(name);
      if (!g0) continue;
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
    }
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
