// The fused sub-layer kernels of runner/model/ops/kernels.ts on the tfjs cpu backend, through the
// addon's fused entry points (src/fused_*.c). New kernel names: nothing to fall back to, so each
// kernel checks what the ops promise (float32 values, consistent shapes) and throws otherwise.
import type * as tf from '@tensorflow/tfjs';
import { FUSED, type Activation } from '../../model/ops/kernels';
import type { NativeAddon } from '../addon';
import { allocF32, recycleScratch } from '../arena';
import { type CpuBackend, type KernelArgs, type TensorInfo, cpuBackend, f32, i32, sizeOf } from './common';

export type FusedKernelFactory = (addon: NativeAddon) => tf.KernelFunc;

const ACTIVATIONS: Record<Activation, number> = { linear: 0, gelu_tanh: 1, gelu_erf: 2, relu: 3, silu: 4 };

function values(backend: CpuBackend, t: TensorInfo | undefined, name: string, kernel: string): Float32Array {
  const v = t ? f32(backend, t) : null;
  if (!v) throw new Error(`${kernel}: input ${name} must be a float32 tensor on the cpu backend`);
  return v;
}

function ints(backend: CpuBackend, t: TensorInfo, name: string, kernel: string): Int32Array {
  const v = i32(backend, t);
  if (!v) throw new Error(`${kernel}: input ${name} must be an int32 tensor on the cpu backend`);
  return v;
}

function last(shape: readonly number[]): number {
  return shape[shape.length - 1];
}

const layerNorm: FusedKernelFactory = (addon) => (args: KernelArgs) => {
  const b = cpuBackend(args);
  const { x, gamma, beta } = args.inputs as Record<string, TensorInfo>;
  const { eps } = args.attrs as { eps: number };
  const c = last(x.shape),
    rows = sizeOf(x.shape) / c;
  const y = allocF32(rows * c),
    stats = allocF32(rows * 2);
  const k = FUSED.LayerNorm;
  addon.layerNormFwd(
    values(b, x, 'x', k),
    values(b, gamma, 'gamma', k),
    values(b, beta, 'beta', k),
    y,
    stats,
    rows,
    c,
    eps,
  );
  return [b.makeTensorInfo(x.shape.slice(), 'float32', y), b.makeTensorInfo([rows, 2], 'float32', stats)];
};

const layerNormGrad: FusedKernelFactory = (addon) => (args: KernelArgs) => {
  const b = cpuBackend(args);
  const { dy, x, gamma, stats } = args.inputs as Record<string, TensorInfo>;
  const c = last(x.shape),
    rows = sizeOf(x.shape) / c;
  const dx = allocF32(rows * c),
    dg = allocF32(c),
    db = allocF32(c);
  const k = FUSED.LayerNormGrad;
  addon.layerNormBwd(
    values(b, dy, 'dy', k),
    values(b, x, 'x', k),
    values(b, gamma, 'gamma', k),
    values(b, stats, 'stats', k),
    dx,
    dg,
    db,
    rows,
    c,
  );
  return [
    b.makeTensorInfo(x.shape.slice(), 'float32', dx),
    b.makeTensorInfo([c], 'float32', dg),
    b.makeTensorInfo([c], 'float32', db),
  ];
};

const rmsNorm: FusedKernelFactory = (addon) => (args: KernelArgs) => {
  const b = cpuBackend(args);
  const { x, weight } = args.inputs as Record<string, TensorInfo>;
  const { eps } = args.attrs as { eps: number };
  const c = last(x.shape),
    rows = sizeOf(x.shape) / c;
  const y = allocF32(rows * c),
    rstd = allocF32(rows);
  addon.rmsNormFwd(
    values(b, x, 'x', FUSED.RmsNorm),
    values(b, weight, 'weight', FUSED.RmsNorm),
    y,
    rstd,
    rows,
    c,
    eps,
  );
  return [b.makeTensorInfo(x.shape.slice(), 'float32', y), b.makeTensorInfo([rows], 'float32', rstd)];
};

const rmsNormGrad: FusedKernelFactory = (addon) => (args: KernelArgs) => {
  const b = cpuBackend(args);
  const { dy, x, weight, rstd } = args.inputs as Record<string, TensorInfo>;
  const c = last(x.shape),
    rows = sizeOf(x.shape) / c;
  const dx = allocF32(rows * c),
    dw = allocF32(c);
  const k = FUSED.RmsNormGrad;
  addon.rmsNormBwd(
    values(b, dy, 'dy', k),
    values(b, x, 'x', k),
    values(b, weight, 'weight', k),
    values(b, rstd, 'rstd', k),
    dx,
    dw,
    rows,
    c,
  );
  return [b.makeTensorInfo(x.shape.slice(), 'float32', dx), b.makeTensorInfo([c], 'float32', dw)];
};

interface DenseAttrs {
  transposeW: boolean;
  activation: Activation;
  hasBias?: boolean;
}

function denseSizes(x: TensorInfo, w: TensorInfo, transposeW: boolean, kernel: string) {
  const k = last(x.shape),
    m = sizeOf(x.shape) / k;
  const n = transposeW ? w.shape[0] : w.shape[1];
  if (w.shape.length !== 2 || (transposeW ? w.shape[1] : w.shape[0]) !== k)
    throw new Error(`${kernel}: weight [${w.shape}] does not fit input [${x.shape}]`);
  return { m, k, n, outShape: [...x.shape.slice(0, -1), n] };
}

const dense: FusedKernelFactory = (addon) => (args: KernelArgs) => {
  const b = cpuBackend(args);
  const { x, w, bias, residual } = args.inputs as Record<string, TensorInfo | undefined>;
  const { transposeW, activation } = args.attrs as unknown as DenseAttrs;
  const K = FUSED.Dense;
  const { m, k, n, outShape } = denseSizes(x!, w!, transposeW, K);
  const act = ACTIVATIONS[activation];
  const y = allocF32(m * n);
  const pre = act ? allocF32(m * n) : null;
  addon.denseFwd(
    values(b, x, 'x', K),
    values(b, w, 'w', K),
    transposeW ? 1 : 0,
    bias ? values(b, bias, 'bias', K) : null,
    residual ? values(b, residual, 'residual', K) : null,
    act,
    y,
    pre,
    m,
    k,
    n,
  );
  const out = [b.makeTensorInfo(outShape, 'float32', y)];
  if (pre) out.push(b.makeTensorInfo(outShape.slice(), 'float32', pre));
  return out;
};

const denseGrad: FusedKernelFactory = (addon) => (args: KernelArgs) => {
  const b = cpuBackend(args);
  const { dy, x, w, pre } = args.inputs as Record<string, TensorInfo | undefined>;
  const { transposeW, activation, hasBias } = args.attrs as unknown as DenseAttrs;
  const K = FUSED.DenseGrad;
  const { m, k, n } = denseSizes(x!, w!, transposeW, K);
  const act = ACTIVATIONS[activation];
  const dx = allocF32(m * k),
    dw = allocF32(k * n);
  const db = hasBias ? allocF32(n) : null;
  const scratch = act ? allocF32(m * n) : null;
  addon.denseBwd(
    values(b, dy, 'dy', K),
    values(b, x, 'x', K),
    values(b, w, 'w', K),
    transposeW ? 1 : 0,
    act ? values(b, pre, 'pre', K) : null,
    act,
    dx,
    dw,
    db,
    scratch,
    m,
    k,
    n,
  );
  if (scratch) recycleScratch(scratch);
  const out = [
    b.makeTensorInfo(x!.shape.slice(), 'float32', dx),
    b.makeTensorInfo(w!.shape.slice(), 'float32', dw),
  ];
  if (db) out.push(b.makeTensorInfo([n], 'float32', db));
  return out;
};

interface AttentionAttrs {
  nHead: number;
  nKvHead: number;
  headDim: number;
  scale: number;
  inverse?: boolean;
}

function attentionSizes(qkv: TensorInfo, a: AttentionAttrs, kernel: string) {
  const [batch, t, s] = qkv.shape;
  if (qkv.shape.length !== 3 || s !== (a.nHead + 2 * a.nKvHead) * a.headDim)
    throw new Error(`${kernel}: qkv [${qkv.shape}] is not [batch, seq, (nh + 2·nkv)·hd]`);
  return { batch, t };
}

const attention: FusedKernelFactory = (addon) => (args: KernelArgs) => {
  const b = cpuBackend(args);
  const { qkv } = args.inputs as Record<string, TensorInfo>;
  const a = args.attrs as unknown as AttentionAttrs;
  const K = FUSED.CausalAttention;
  const { batch, t } = attentionSizes(qkv, a, K);
  const out = allocF32(batch * t * a.nHead * a.headDim);
  const probs = allocF32(batch * a.nHead * t * t);
  addon.attentionFwd(values(b, qkv, 'qkv', K), out, probs, batch, t, a.nHead, a.nKvHead, a.headDim, a.scale);
  return [
    b.makeTensorInfo([batch, t, a.nHead * a.headDim], 'float32', out),
    b.makeTensorInfo([batch, a.nHead, t, t], 'float32', probs),
  ];
};

const attentionGrad: FusedKernelFactory = (addon) => (args: KernelArgs) => {
  const b = cpuBackend(args);
  const { dout, qkv, probs } = args.inputs as Record<string, TensorInfo>;
  const a = args.attrs as unknown as AttentionAttrs;
  const K = FUSED.CausalAttentionGrad;
  const { batch, t } = attentionSizes(qkv, a, K);
  const dqkv = allocF32(sizeOf(qkv.shape));
  addon.attentionBwd(
    values(b, dout, 'dout', K),
    values(b, qkv, 'qkv', K),
    values(b, probs, 'probs', K),
    dqkv,
    batch,
    t,
    a.nHead,
    a.nKvHead,
    a.headDim,
    a.scale,
  );
  return [b.makeTensorInfo(qkv.shape.slice(), 'float32', dqkv)];
};

const rope: FusedKernelFactory = (addon) => (args: KernelArgs) => {
  const b = cpuBackend(args);
  const { qkv, cos, sin } = args.inputs as Record<string, TensorInfo>;
  const a = args.attrs as unknown as AttentionAttrs;
  const K = FUSED.Rope;
  const { batch, t } = attentionSizes(qkv, a, K);
  if (cos.shape[0] < t || cos.shape[1] !== a.headDim / 2)
    throw new Error(`${K}: cos/sin [${cos.shape}] do not cover ${t} positions of ${a.headDim / 2}`);
  const out = allocF32(sizeOf(qkv.shape));
  addon.rope(
    values(b, qkv, 'qkv', K),
    out,
    values(b, cos, 'cos', K),
    values(b, sin, 'sin', K),
    batch * t,
    t,
    a.nHead,
    a.nKvHead,
    a.headDim,
    a.inverse ? 1 : 0,
  );
  return [b.makeTensorInfo(qkv.shape.slice(), 'float32', out)];
};

const swiGlu: FusedKernelFactory = (addon) => (args: KernelArgs) => {
  const b = cpuBackend(args);
  const { gate, up } = args.inputs as Record<string, TensorInfo>;
  const n = sizeOf(gate.shape);
  const out = allocF32(n);
  addon.swigluFwd(values(b, gate, 'gate', FUSED.SwiGlu), values(b, up, 'up', FUSED.SwiGlu), out, n);
  return [b.makeTensorInfo(gate.shape.slice(), 'float32', out)];
};

const swiGluGrad: FusedKernelFactory = (addon) => (args: KernelArgs) => {
  const b = cpuBackend(args);
  const { dy, gate, up } = args.inputs as Record<string, TensorInfo>;
  const n = sizeOf(gate.shape);
  const dg = allocF32(n),
    du = allocF32(n);
  const K = FUSED.SwiGluGrad;
  addon.swigluBwd(values(b, dy, 'dy', K), values(b, gate, 'gate', K), values(b, up, 'up', K), dg, du, n);
  return [
    b.makeTensorInfo(gate.shape.slice(), 'float32', dg),
    b.makeTensorInfo(gate.shape.slice(), 'float32', du),
  ];
};

const crossEntropy: FusedKernelFactory = (addon) => (args: KernelArgs) => {
  const b = cpuBackend(args);
  const { logits, targets, mask } = args.inputs as Record<string, TensorInfo>;
  const K = FUSED.SoftmaxCrossEntropy;
  const v = last(logits.shape),
    rows = sizeOf(logits.shape) / v;
  if (sizeOf(targets.shape) !== rows || sizeOf(mask.shape) !== rows)
    throw new Error(
      `${K}: targets [${targets.shape}] and mask [${mask.shape}] must have one entry per row of logits`,
    );
  const lse = allocF32(rows);
  const sums = new Float64Array(2);
  addon.xentFwd(
    values(b, logits, 'logits', K),
    ints(b, targets, 'targets', K),
    values(b, mask, 'mask', K),
    lse,
    sums,
    rows,
    v,
  );
  return [
    b.makeTensorInfo([2], 'float32', Float32Array.from(sums)),
    b.makeTensorInfo([rows], 'float32', lse),
  ];
};

const crossEntropyGrad: FusedKernelFactory = (addon) => (args: KernelArgs) => {
  const b = cpuBackend(args);
  const { dloss, logits, targets, mask, lse } = args.inputs as Record<string, TensorInfo>;
  const K = FUSED.SoftmaxCrossEntropyGrad;
  const v = last(logits.shape),
    rows = sizeOf(logits.shape) / v;
  const d = allocF32(rows * v),
    dmask = allocF32(rows);
  addon.xentBwd(
    values(b, logits, 'logits', K),
    ints(b, targets, 'targets', K),
    values(b, mask, 'mask', K),
    values(b, lse, 'lse', K),
    values(b, dloss, 'dloss', K)[0],
    d,
    dmask,
    rows,
    v,
  );
  return [
    b.makeTensorInfo(logits.shape.slice(), 'float32', d),
    b.makeTensorInfo(mask.shape.slice(), 'float32', dmask),
  ];
};

const embedding: FusedKernelFactory = (addon) => (args: KernelArgs) => {
  const b = cpuBackend(args);
  const { ids, wte, wpe } = args.inputs as Record<string, TensorInfo | undefined>;
  const K = FUSED.Embedding;
  const [batch, t] = ids!.shape;
  const [vocab, h] = wte!.shape;
  if (wpe && (wpe.shape[0] < t || wpe.shape[1] !== h))
    throw new Error(`${K}: wpe [${wpe.shape}] does not cover ${t} positions`);
  const out = allocF32(batch * t * h);
  const bad = addon.embedFwd(
    ints(b, ids!, 'ids', K),
    values(b, wte, 'wte', K),
    vocab,
    wpe ? values(b, wpe, 'wpe', K) : null,
    out,
    batch * t,
    t,
    h,
  );
  if (bad >= 0) {
    throw new Error(`${K}: token id ${ints(b, ids!, 'ids', K)[bad]} is not in [0, ${vocab - 1}]`);
  }
  return [b.makeTensorInfo([batch, t, h], 'float32', out)];
};

const embeddingGrad: FusedKernelFactory = (addon) => (args: KernelArgs) => {
  const b = cpuBackend(args);
  const { dy, ids } = args.inputs as Record<string, TensorInfo>;
  const { vocab, positions } = args.attrs as { vocab: number; positions: number };
  const K = FUSED.EmbeddingGrad;
  const [batch, t] = ids.shape;
  const h = last(dy.shape);
  const dwte = allocF32(vocab * h);
  const dwpe = positions > 0 ? allocF32(positions * h) : null;
  addon.embedBwd(
    ints(b, ids, 'ids', K),
    values(b, dy, 'dy', K),
    dwte,
    vocab,
    dwpe,
    positions,
    batch * t,
    t,
    h,
  );
  const out = [b.makeTensorInfo([vocab, h], 'float32', dwte)];
  if (dwpe) out.push(b.makeTensorInfo([positions, h], 'float32', dwpe));
  return out;
};

export const fusedKernels: Record<string, FusedKernelFactory> = {
  [FUSED.LayerNorm]: layerNorm,
  [FUSED.LayerNormGrad]: layerNormGrad,
  [FUSED.RmsNorm]: rmsNorm,
  [FUSED.RmsNormGrad]: rmsNormGrad,
  [FUSED.Dense]: dense,
  [FUSED.DenseGrad]: denseGrad,
  [FUSED.CausalAttention]: attention,
  [FUSED.CausalAttentionGrad]: attentionGrad,
  [FUSED.Rope]: rope,
  [FUSED.SwiGlu]: swiGlu,
  [FUSED.SwiGluGrad]: swiGluGrad,
  [FUSED.SoftmaxCrossEntropy]: crossEntropy,
  [FUSED.SoftmaxCrossEntropyGrad]: crossEntropyGrad,
  [FUSED.Embedding]: embedding,
  [FUSED.EmbeddingGrad]: embeddingGrad,
};
