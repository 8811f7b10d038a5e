/** Token (+ learned position) embedding: one gather-add forward, one scatter-add backward when fused. */
import * as tf from '@tensorflow/tfjs';
import { gatherRows } from '../layers';
import { fusedOp, memo } from './fused';
import { FUSED, hasKernel, runKernel } from './kernels';

const fusedEmbedding = memo((withPositions: boolean) =>
  fusedOp(
    (inputs) => {
      const [ids, wte, wpe] = inputs;
      const value = runKernel(FUSED.Embedding, withPositions ? { ids, wte, wpe } : { ids, wte })[0];
      return { value, save: [ids] };
    },
    (dy, [ids], inputs) => {
      const [, wte, wpe] = inputs;
      const grads = runKernel(
        FUSED.EmbeddingGrad,
        { dy, ids },
        { vocab: wte.shape[0], positions: withPositions ? wpe.shape[0] : 0 },
      );
      return [undefined, ...grads] as tf.Tensor[];
    },
  ),
);

/** wte[ids] (+ wpe[0..T) when given) → [B, T, H]. */
export function embedTokens(ids: tf.Tensor2D, wte: tf.Tensor2D, wpe?: tf.Tensor2D): tf.Tensor3D {
  const [batch, seq] = ids.shape;
  const hidden = wte.shape[1];
  if (hasKernel(FUSED.Embedding)) {
    const op = fusedEmbedding(wpe !== undefined);
    return (wpe ? op(ids, wte, wpe) : op(ids, wte)) as tf.Tensor3D;
  }
  const tok = tf.reshape(gatherRows(wte, tf.reshape(ids, [-1])), [batch, seq, hidden]);
  return (wpe ? tf.add(tok, tf.slice(wpe, [0, 0], [seq, hidden])) : tok) as tf.Tensor3D;
}
