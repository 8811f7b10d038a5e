/**
 * Plumbing for ops backed by a fused forward kernel and its gradient kernel: a tf.customGrad whose
 * forward runs the kernel and saves only what the gradient kernel reads, so the tape holds one
 * node per sub-layer and none of its intermediates.
 */
import * as tf from '@tensorflow/tfjs';

type Arg = tf.Tensor | tf.GradSaveFunc;

/**
 * A differentiable op from `forward` (returns the value and the tensors to save) and `backward`
 * (returns one gradient per input, given dy and the saved tensors). Integer inputs get a zero
 * gradient placeholder: tfjs never asks for it (they are not differentiable), but customGrad
 * wants one tensor per input.
 */
export function fusedOp(
  forward: (inputs: tf.Tensor[]) => { value: tf.Tensor; save: tf.Tensor[] },
  backward: (dy: tf.Tensor, saved: tf.Tensor[], inputs: tf.Tensor[]) => tf.Tensor[],
): (...inputs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad((...args: Arg[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const inputs = args.slice(0, -1) as tf.Tensor[];
    const { value, save: keep } = forward(inputs);
    save(keep);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const grads = backward(dy, saved, inputs);
        return inputs.map((x, i) => grads[i] ?? tf.zeros(x.shape, x.dtype));
      },
    };
  }) as (...inputs: tf.Tensor[]) => tf.Tensor;
}

/** One op per key (attributes that are not tensors: eps, activation, shapes), built on first use. */
export function memo<K, F>(build: (key: K) => F): (key: K) => F {
  const cache = new Map<string, F>();
  return (key: K) => {
    const id = JSON.stringify(key);
    let f = cache.get(id);
    if (!f) {
      f = build(key);
      cache.set(id, f);
    }
    return f;
  };
}
