/**
 * A linear-time UnsortedSegmentSum for the pure-JS cpu backend. tfjs's own builds one masked sum
 * per segment, O(segments × rows), and it is the gradient of every embedding lookup (gather), so
 * with a vocabulary of a few thousand one backward pass took minutes. This one adds each row into
 * its segment once. When runner/native's kernels are active they replace it (and fall back to it).
 */
import * as tf from '@tensorflow/tfjs';
import { nativeStatus } from './native';

type TypedArray = Float32Array | Int32Array;
let installed = false;

export function installFastCpuKernels(): void {
  if (installed) return;
  // runner/native's kernel (active after initBackend) is faster still: leave it in place.
  if (nativeStatus().active && nativeStatus().kernels.includes('UnsortedSegmentSum')) return;
  installed = true;
  const previous = tf.getKernel('UnsortedSegmentSum', 'cpu');
  if (previous) tf.unregisterKernel('UnsortedSegmentSum', 'cpu');
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'cpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const { numSegments } = attrs as unknown as { numSegments: number };
      const b = backend as unknown as {
        readSync(id: unknown): TypedArray;
        makeTensorInfo(shape: number[], dtype: tf.DataType, values: TypedArray): tf.TensorInfo;
      };
      const xv = b.readSync(x.dataId);
      const sv = b.readSync(segmentIds.dataId);
      const n = sv.length;
      const rowLen = n === 0 ? 0 : xv.length / n;
      const out =
        x.dtype === 'int32' ? new Int32Array(numSegments * rowLen) : new Float32Array(numSegments * rowLen);
      for (let i = 0; i < n; i++) {
        const s = sv[i];
        if (s < 0 || s >= numSegments) continue;
        const o = s * rowLen;
        const r = i * rowLen;
        for (let j = 0; j < rowLen; j++) out[o + j] += xv[r + j];
      }
      const rest = x.shape.slice(segmentIds.shape.length);
      return b.makeTensorInfo([numSegments, ...rest], x.dtype, out);
    },
  });
}
