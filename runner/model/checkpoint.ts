/**
 * Gradient checkpointing for one transformer block. The forward pass runs inside tf.customGrad, so
 * the engine records a single tape node (inputs: block input + block weights) and frees every
 * intermediate; the backward pass recomputes the block under its own tape and differentiates it.
 * Dropout masks are seeded, so the recomputation sees the same masks as the forward pass.
 */
import * as tf from '@tensorflow/tfjs';

/** A block of x, its weights (differentiated) and constants such as the attention mask (not differentiated). */
type BlockFn = (x: tf.Tensor3D, weights: tf.Tensor[], constants: tf.Tensor[]) => tf.Tensor3D;

interface EngineTapeState {
  state: { activeTape: unknown };
}

export function checkpointed(block: BlockFn): BlockFn {
  return (x, weights, constants) => {
    const nW = weights.length;
    // Constants are inputs too, so the engine keeps them alive until the recomputation needs them.
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const inputs = args.slice(0, -1) as tf.Tensor[];
      save(inputs);
      const split = (t: tf.Tensor[]) => [t[0] as tf.Tensor3D, t.slice(1, 1 + nW), t.slice(1 + nW)] as const;
      return {
        value: block(...split(inputs)),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sw, sc] = split(saved);
          const grads = recomputeGradients(block, sx, sw, sc, dy);
          return [...grads, ...sc.map((c) => tf.zerosLike(c))];
        },
      };
    });
    return op(x, ...weights, ...constants) as tf.Tensor3D;
  };
}

/**
 * tf.grads called from inside a backward pass at gradient depth 0 replaces the engine's active tape
 * and nulls it when done, which makes the outer backward pass crash in its own cleanup (tfjs-core
 * engine.gradients). We keep the outer tape aside and put it back; the inner pass still frees the
 * tensors it saved, which is the point of recomputing.
 */
function recomputeGradients(
  block: BlockFn,
  x: tf.Tensor3D,
  weights: tf.Tensor[],
  constants: tf.Tensor[],
  dy: tf.Tensor,
): tf.Tensor[] {
  const engine = tf.engine() as unknown as EngineTapeState;
  const outerTape = engine.state.activeTape;
  try {
    return tf.grads((...inputs: tf.Tensor[]) => block(inputs[0] as tf.Tensor3D, inputs.slice(1), constants))(
      [x, ...weights],
      dy,
    );
  } finally {
    engine.state.activeTape = outerTape;
  }
}
