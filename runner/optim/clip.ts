import * as tf from '@tensorflow/tfjs';

/**
 * Clips gradients by their global L2 norm (all parameters together, as torch.nn.utils.clip_grad_norm_).
 * Returns the norm before clipping and the (possibly scaled) gradients; inputs are disposed when replaced.
 * The norm is read asynchronously: a GPU backend (WebGPU) cannot read device memory synchronously.
 */
export async function clipByGlobalNorm(
  grads: Map<string, tf.Tensor>,
  maxNorm: number | null,
): Promise<{ norm: number; grads: Map<string, tf.Tensor> }> {
  const squares = tf.tidy(() => tf.addN([...grads.values()].map((g) => g.square().sum())));
  const norm = Math.sqrt((await squares.data())[0]);
  squares.dispose();
  if (maxNorm === null || !(norm > maxNorm)) return { norm, grads };
  const scale = maxNorm / (norm + 1e-6);
  const out = new Map<string, tf.Tensor>();
  for (const [k, g] of grads) {
    out.set(
      k,
      tf.tidy(() => g.mul(scale)),
    );
    g.dispose();
  }
  return { norm, grads: out };
}
