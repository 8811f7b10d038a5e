// Memory-efficient exact attention on the tfjs cpu backend (runner/model/ops/kernels.ts,
// FUSED.TiledAttention and its gradient) through src/attention_tiled.c: the causal attention of
// FUSED.CausalAttention, optionally windowed or ALiBi-biased, that saves each row's log-sum-exp
// instead of the [b, nh, t, t] probabilities.
import type * as tf from '@tensorflow/tfjs';
import { FUSED } from '../../model/ops/kernels';
import type { NativeAddon } from '../addon';
import { allocF32 } from '../arena';
import { type KernelArgs, type TensorInfo, cpuBackend, f32, sizeOf } from './common';

export interface TiledAttentionAttrs {
  nHead: number;
  nKvHead: number;
  headDim: number;
  scale: number;
  /** Keys each query sees, itself included (Mistral's sliding_window); 0 for all earlier keys. */
  window: number;
  /** ALiBi slope per query head, or empty for no bias. */
  slopes: number[];
}

function check(args: KernelArgs, kernel: string) {
  const b = cpuBackend(args);
  const a = args.attrs as unknown as TiledAttentionAttrs;
  const read = (t: TensorInfo | undefined, name: string) => {
    const v = t ? f32(b, t) : null;
    if (!t || !v) throw new Error(`${kernel}: input ${name} must be a float32 tensor on the cpu backend`);
    return v;
  };
  const { qkv } = args.inputs as Record<string, TensorInfo>;
  const [batch, t, s] = qkv.shape;
  if (qkv.shape.length !== 3 || s !== (a.nHead + 2 * a.nKvHead) * a.headDim)
    throw new Error(`${kernel}: qkv [${qkv.shape}] is not [batch, seq, (nh + 2·nkv)·hd]`);
  if (a.slopes.length !== 0 && a.slopes.length !== a.nHead)
    throw new Error(`${kernel}: ${a.slopes.length} ALiBi slopes for ${a.nHead} heads`);
  const slopes = a.slopes.length ? Float32Array.from(a.slopes) : null;
  return { b, a, read, batch, t, slopes };
}

const tiledAttention =
  (addon: NativeAddon): tf.KernelFunc =>
  (args: KernelArgs) => {
    const K = FUSED.TiledAttention;
    const { b, a, read, batch, t, slopes } = check(args, K);
    const { qkv } = args.inputs as Record<string, TensorInfo>;
    const out = allocF32(batch * t * a.nHead * a.headDim);
    const lse = allocF32(batch * a.nHead * t);
    addon.tiledAttentionFwd(
      read(qkv, 'qkv'),
      out,
      lse,
      batch,
      t,
      a.nHead,
      a.nKvHead,
      a.headDim,
      a.scale,
      a.window,
      slopes,
    );
    return [
      b.makeTensorInfo([batch, t, a.nHead * a.headDim], 'float32', out),
      b.makeTensorInfo([batch, a.nHead, t], 'float32', lse),
    ];
  };

const tiledAttentionGrad =
  (addon: NativeAddon): tf.KernelFunc =>
  (args: KernelArgs) => {
    const K = FUSED.TiledAttentionGrad;
    const { b, a, read, batch, t, slopes } = check(args, K);
    const { dout, qkv, out, lse } = args.inputs as Record<string, TensorInfo>;
    const dqkv = allocF32(sizeOf(qkv.shape));
    addon.tiledAttentionBwd(
      read(dout, 'dout'),
      read(qkv, 'qkv'),
      read(out, 'out'),
      read(lse, 'lse'),
      dqkv,
      batch,
      t,
      a.nHead,
      a.nKvHead,
      a.headDim,
      a.scale,
      a.window,
      slopes,
    );
    return [b.makeTensorInfo(qkv.shape.slice(), 'float32', dqkv)];
  };

export const tiledKernels: Record<string, (addon: NativeAddon) => tf.KernelFunc> = {
  [FUSED.TiledAttention]: tiledAttention,
  [FUSED.TiledAttentionGrad]: tiledAttentionGrad,
};
