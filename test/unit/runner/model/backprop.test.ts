/**
 * runner/model/backprop's variableGrads against tf.variableGrads: the same gradients, no tensor left
 * behind, and fewer bytes alive at the peak of the backward pass (it frees as it goes).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel, parseModelConfig, variableGrads } from '../../../../runner/model';
import { lossSum } from '../../../../runner/train/loss';

const CONFIG = { model_type: 'gpt2', vocab_size: 37, n_positions: 16, n_embd: 32, n_layer: 3, n_head: 4 };

function batch() {
  const [B, T] = [2, 12];
  return {
    ids: tf.tensor2d(
      Int32Array.from({ length: B * T }, (_, i) => (i * 7 + 1) % 37),
      [B, T],
      'int32',
    ),
    targets: tf.tensor2d(
      Int32Array.from({ length: B * T }, (_, i) => (i * 3 + 2) % 37),
      [B, T],
      'int32',
    ),
    mask: tf.ones([B, T]) as tf.Tensor2D,
  };
}

describe('variableGrads (freeing backward pass)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([false, true])(
    'gives tf.variableGrads’ gradients (checkpointing %s) and leaves no tensor behind',
    (checkpointing) => {
      const model = createModel(
        parseModelConfig({ ...CONFIG, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 }),
        { seed: 1 },
      );
      const vars = [...model.weights.values()];
      const t = batch();
      const f = () => lossSum(model, t, { training: true, checkpointing }).loss;
      const ref = tf.variableGrads(f, vars);
      const before = tf.memory().numTensors;
      const ours = variableGrads(f, vars);
      // the new tensors are exactly the value and one gradient per weight
      expect(tf.memory().numTensors - before).toBe(1 + vars.length);
      expect(ours.value.dataSync()[0]).toBe(ref.value.dataSync()[0]);
      for (const v of vars) expect(ours.grads[v.name].dataSync()).toEqual(ref.grads[v.name].dataSync());
      tf.dispose([ref.value, ours.value, ...Object.values(ref.grads), ...Object.values(ours.grads)]);
      tf.dispose(Object.values(t));
      model.dispose();
    },
  );

  it('holds fewer bytes at its peak than tfjs’s backward pass', () => {
    const model = createModel(parseModelConfig(CONFIG), { seed: 2 });
    const vars = [...model.weights.values()];
    const t = batch();
    type Engine = { runKernel: (...args: unknown[]) => unknown };
    const engine = tf.engine() as unknown as Engine;
    // the most bytes alive right after any kernel of a whole gradient computation
    const peak = (grads: typeof variableGrads) => {
      let max = 0;
      const runKernel = engine.runKernel;
      engine.runKernel = (...args) => {
        const out = runKernel.apply(engine, args);
        max = Math.max(max, tf.memory().numBytes);
        return out;
      };
      try {
        const r = grads(() => lossSum(model, t, { training: true }).loss, vars);
        tf.dispose([r.value, ...Object.values(r.grads)]);
      } finally {
        engine.runKernel = runKernel;
      }
      return max;
    };
    const theirs = peak(tf.variableGrads as typeof variableGrads);
    const ours = peak(variableGrads);
    expect(ours).toBeLessThan(theirs * 0.8);
    tf.dispose(Object.values(t));
    model.dispose();
  });
});
