/** Llama's gated MLP activation silu(gate)·up, fused forward and backward where available. */
import * as tf from '@tensorflow/tfjs';
import { silu } from '../layers';
import { fusedOp } from './fused';
import { FUSED, hasKernel, runKernel } from './kernels';

const fusedSwiGlu = fusedOp(
  ([gate, up]) => ({ value: runKernel(FUSED.SwiGlu, { gate, up })[0], save: [gate, up] }),
  (dy, [gate, up]) => runKernel(FUSED.SwiGluGrad, { dy, gate, up }),
);

export function swiGlu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return hasKernel(FUSED.SwiGlu) ? fusedSwiGlu(gate, up) : tf.mul(silu(gate), up);
}
