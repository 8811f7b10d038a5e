import * as tf from '@tensorflow/tfjs';
import { activeNativeAddon, readValues } from '../native';

/**
 * L2 norm of all gradients together: one native pass where the addon is active, else tf ops read
 * asynchronously (a GPU backend such as WebGPU cannot read device memory synchronously).
 */
export async function globalNorm(grads: Iterable<tf.Tensor>): Promise<number> {
  const list = [...grads];
  const addon = activeNativeAddon();
  const arrays = addon ? list.map(readValues) : [];
  if (addon && arrays.every((a) => a !== null)) return Math.sqrt(addon.sumSquares(arrays as Float32Array[]));
  if (list.length === 0) return 0;
  const squares = tf.tidy(() => tf.addN(list.map((g) => g.square().sum())));
  const norm = Math.sqrt((await squares.data())[0]);
  squares.dispose();
  return norm;
}

/** What gradients are multiplied by to clip them to `maxNorm` (torch.nn.utils.clip_grad_norm_). */
export function clipCoefficient(norm: number, maxNorm: number | null): number {
  return maxNorm === null || !(norm > maxNorm) ? 1 : maxNorm / (norm + 1e-6);
}

/**
 * Clips gradients by their global L2 norm (all parameters together, as torch.nn.utils.clip_grad_norm_).
 * Returns the norm before clipping and the (possibly scaled) gradients; inputs are disposed when replaced.
 * (A caller that can hand the coefficient to Optimizer.apply saves the scaling pass: globalNorm + clipCoefficient.)
 */
export async function clipByGlobalNorm(
  grads: Map<string, tf.Tensor>,
  maxNorm: number | null,
): Promise<{ norm: number; grads: Map<string, tf.Tensor> }> {
  const norm = await globalNorm(grads.values());
  const scale = clipCoefficient(norm, maxNorm);
  if (scale === 1) return { norm, grads };
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
