// Incremental decoding's kernel on the tfjs cpu backend (runner/model/ops/kernels.ts,
// FUSED.CachedAttention): attention over a key/value cache that the kernel extends in place.
import type * as tf from '@tensorflow/tfjs';
import { FUSED } from '../../model/ops/kernels';
import type { NativeAddon } from '../addon';
import { allocF32 } from '../arena';
import { type KernelArgs, type TensorInfo, cpuBackend, f32 } from './common';

export interface CachedAttentionAttrs {
  nHead: number;
  nKvHead: number;
  headDim: number;
  scale: number;
  position: number;
  qOffset: number;
  kOffset: number;
  vOffset: number;
}

const K = FUSED.CachedAttention;

const cachedAttention =
  (addon: NativeAddon): tf.KernelFunc =>
  (args: KernelArgs) => {
    const b = cpuBackend(args);
    const { q, k, v, kCache, vCache, cos, sin } = args.inputs as Record<string, TensorInfo | undefined>;
    const a = args.attrs as unknown as CachedAttentionAttrs;
    const read = (t: TensorInfo | undefined, name: string) => {
      const values = t ? f32(b, t) : null;
      if (!t || !values) throw new Error(`${K}: input ${name} must be a float32 tensor on the cpu backend`);
      return values;
    };
    if (!q || !k || !v || !kCache || q.shape.length !== 3)
      throw new Error(`${K}: q, k, v must be [batch, seq, features]`);
    const [batch, t] = q.shape;
    const [cb, heads, capacity, hd] = kCache.shape;
    if (cb !== batch || heads !== a.nKvHead || hd !== a.headDim)
      throw new Error(
        `${K}: cache [${kCache.shape}] does not match ${batch} rows of ${a.nKvHead}×${a.headDim}`,
      );
    const out = allocF32(batch * t * a.nHead * a.headDim);
    addon.attentionCached(
      read(q, 'q'),
      a.qOffset,
      q.shape[2],
      read(k, 'k'),
      a.kOffset,
      k.shape[2],
      read(v, 'v'),
      a.vOffset,
      v.shape[2],
      read(kCache, 'kCache'),
      read(vCache, 'vCache'),
      out,
      cos ? read(cos, 'cos') : null,
      sin ? read(sin, 'sin') : null,
      batch,
      t,
      a.position,
      capacity,
      a.nHead,
      a.nKvHead,
      a.headDim,
      a.scale,
    );
    return [b.makeTensorInfo([batch, t, a.nHead * a.headDim], 'float32', out)];
  };

export const decodeKernels: Record<string, (addon: NativeAddon) => tf.KernelFunc> = {
  [K]: cachedAttention,
};
