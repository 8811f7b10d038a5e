import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { installFastCpuKernels } from '../../../runner/cpu-kernels';

describe('linear-time UnsortedSegmentSum on the cpu backend', () => {
  it('sums rows into their segments (ignoring out-of-range ids) and gives embedding gradients', async () => {
    await tf.setBackend('cpu');
    installFastCpuKernels();
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    const ids = tf.tensor1d([2, 0, 2, 5], 'int32');
    expect(await tf.unsortedSegmentSum(x, ids, 3).array()).toEqual([
      [3, 4],
      [0, 0],
      [6, 8],
    ]);
    // The gradient of a lookup: each table row receives the sum of the upstream rows that used it.
    const table = tf.variable(tf.randomNormal([5, 3], 0, 1, 'float32', 1));
    const lookup = tf.tensor2d([[1, 1, 4]], [1, 3], 'int32');
    const up = tf.tensor3d([
      [
        [1, 0, 0],
        [0, 2, 0],
        [0, 0, 3],
      ],
    ]);
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.mul(tf.gather(table, lookup), up)) as tf.Scalar,
      [table],
    );
    expect(await grads[table.name].array()).toEqual([
      [0, 0, 0],
      [1, 2, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 3],
    ]);
    tf.dispose([x, ids, table, lookup, up, ...Object.values(grads)]);
  });
});
