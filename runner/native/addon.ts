// Loads the compiled N-API addon (runner/native/build/Release/tuneplane_native.node, built by
// `npm run build:native`). A missing or broken build is not an error: the caller falls back to
// the pure-JS tfjs kernels, so this returns the reason instead of throwing.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type F32 = Float32Array;

export interface NativeAddon {
  /** C[i] = op(A[i]) · op(B[i]) row-major, i < batch; batch strides in elements (0 = shared). */
  sgemm(
    transA: boolean,
    transB: boolean,
    batch: number,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aBatchStride: number,
    b: Float32Array,
    bBatchStride: number,
    c: Float32Array,
  ): void;
  binary(
    op: number,
    a: Float32Array,
    aStrides: number[],
    b: Float32Array,
    bStrides: number[],
    out: Float32Array,
    outShape: number[],
  ): void;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  /** x viewed as [outer, r, inner], reduces the middle axis into out [outer, inner]. */
  reduce(op: number, x: Float32Array, out: Float32Array, outer: number, r: number, inner: number): void;
  transpose(
    x: Float32Array | Int32Array,
    out: Float32Array | Int32Array,
    shape: number[],
    perm: number[],
  ): void;
  /** dst rows of shape[-1] elements every dstRowStride (from dstOffset) ← src[srcOffset + Σ index·srcStrides]. */
  stridedCopy(
    src: Float32Array | Int32Array,
    srcOffset: number,
    srcStrides: number[],
    dst: Float32Array | Int32Array,
    dstOffset: number,
    dstRowStride: number,
    shape: number[],
  ): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  /** Returns -1, or the position in `indices` of the first index outside [0, nrows). */
  gatherRows(
    table: Float32Array | Int32Array,
    nrows: number,
    indices: Int32Array,
    out: Float32Array | Int32Array,
    rowLen: number,
  ): number;
  scatterAddRows(
    x: Float32Array,
    segmentIds: Int32Array,
    out: Float32Array,
    numSegments: number,
    rowLen: number,
  ): void;
  // Fused sub-layer kernels (src/fused.h); arrays are written in place, null = absent.
  layerNormFwd(x: F32, g: F32, b: F32, y: F32, stats: F32, rows: number, c: number, eps: number): void;
  layerNormBwd(dy: F32, x: F32, g: F32, stats: F32, dx: F32, dg: F32, db: F32, rows: number, c: number): void;
  rmsNormFwd(x: F32, w: F32, y: F32, rstd: F32, rows: number, c: number, eps: number): void;
  rmsNormBwd(dy: F32, x: F32, w: F32, rstd: F32, dx: F32, dw: F32, rows: number, c: number): void;
  denseFwd(
    x: F32,
    w: F32,
    transW: number,
    bias: F32 | null,
    residual: F32 | null,
    act: number,
    y: F32,
    pre: F32 | null,
    m: number,
    k: number,
    n: number,
  ): void;
  denseBwd(
    dy: F32,
    x: F32,
    w: F32,
    transW: number,
    pre: F32 | null,
    act: number,
    dx: F32 | null,
    dw: F32,
    dbias: F32 | null,
    scratch: F32 | null,
    m: number,
    k: number,
    n: number,
  ): void;
  attentionFwd(
    qkv: F32,
    out: F32,
    probs: F32,
    b: number,
    t: number,
    nh: number,
    nkv: number,
    hd: number,
    scale: number,
  ): void;
  attentionBwd(
    dout: F32,
    qkv: F32,
    probs: F32,
    dqkv: F32,
    b: number,
    t: number,
    nh: number,
    nkv: number,
    hd: number,
    scale: number,
  ): void;
  tiledAttentionFwd(
    qkv: F32,
    out: F32,
    lse: F32,
    b: number,
    t: number,
    nh: number,
    nkv: number,
    hd: number,
    scale: number,
    window: number,
    slopes: F32 | null,
  ): void;
  tiledAttentionBwd(
    dout: F32,
    qkv: F32,
    out: F32,
    lse: F32,
    dqkv: F32,
    b: number,
    t: number,
    nh: number,
    nkv: number,
    hd: number,
    scale: number,
    window: number,
    slopes: F32 | null,
  ): void;
  rope(
    qkv: F32,
    out: F32,
    cos: F32,
    sin: F32,
    rows: number,
    t: number,
    nh: number,
    nkv: number,
    hd: number,
    inverse: number,
  ): void;
  swigluFwd(gate: F32, up: F32, out: F32, n: number): void;
  swigluBwd(dout: F32, gate: F32, up: F32, dgate: F32, dup: F32, n: number): void;
  /** result ← [loss, correct] */
  xentFwd(
    logits: F32,
    targets: Int32Array,
    mask: F32 | null,
    lse: F32,
    result: Float64Array,
    rows: number,
    v: number,
  ): void;
  xentBwd(
    logits: F32,
    targets: Int32Array,
    mask: F32 | null,
    lse: F32,
    dloss: number,
    dlogits: F32,
    dmask: F32 | null,
    rows: number,
    v: number,
  ): void;
  /** Returns -1, or the row of the first id outside [0, vocab). */
  embedFwd(
    ids: Int32Array,
    wte: F32,
    vocab: number,
    wpe: F32 | null,
    out: F32,
    rows: number,
    t: number,
    h: number,
  ): number;
  embedBwd(
    ids: Int32Array,
    dout: F32,
    dwte: F32,
    vocab: number,
    dwpe: F32 | null,
    npos: number,
    rows: number,
    t: number,
    h: number,
  ): void;
  /** hyper = [lr, beta1, beta2, eps, momentum, bc1, bc2, gradScale]; v empty for SGD. */
  optimizerStep(
    kind: number,
    hyper: Float64Array,
    params: F32[],
    grads: F32[],
    m: F32[],
    v: F32[],
    decay: F32,
  ): void;
  sumSquares(arrays: F32[]): number;
  /**
   * Incremental decoding (src/decode.h): t new positions of b rows attend over a key/value cache
   * [b, nkv, cap, hd], whose entries [pos, pos+t) receive the new keys (RoPE-rotated when cos/sin
   * are given) and values; q/k/v rows start at their offsets and advance by their strides.
   */
  attentionCached(
    q: F32,
    qOffset: number,
    qStride: number,
    k: F32,
    kOffset: number,
    kStride: number,
    v: F32,
    vOffset: number,
    vStride: number,
    kCache: F32,
    vCache: F32,
    out: F32,
    cos: F32 | null,
    sin: F32 | null,
    b: number,
    t: number,
    pos: number,
    cap: number,
    nh: number,
    nkv: number,
    hd: number,
    scale: number,
  ): void;
  setThreads(n: number): void;
  /** Bytes in use on the C heap (glibc mallinfo2), tensor data included: leak checks without RSS noise. */
  nativeHeapBytes(): number;
  info(): { blasConfig: string; blasCore: string; blasThreads: number };
}

// Must match the enums in src/kernels.h.
export const BinaryOp = {
  Add: 0,
  Sub: 1,
  Mul: 2,
  Div: 3,
  Max: 4,
  Min: 5,
  SquaredDifference: 6,
  Pow: 7,
} as const;
export const UnaryOp = {
  Exp: 0,
  Log: 1,
  Tanh: 2,
  Sqrt: 3,
  Rsqrt: 4,
  Neg: 5,
  Square: 6,
  Relu: 7,
  Abs: 8,
  Sigmoid: 9,
  Reciprocal: 11,
} as const;
export const ReduceOp = { Sum: 0, Max: 1, Mean: 2, Min: 3 } as const;
export const OptimizerKind = { adamw: 0, adam: 1, sgd: 2 } as const;

export type AddonLoad = { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string };

export function defaultAddonPath(): string {
  return fileURLToPath(new URL('./build/Release/tuneplane_native.node', import.meta.url));
}

export function loadAddon(path: string = defaultAddonPath()): AddonLoad {
  if (!existsSync(path)) {
    return { ok: false, reason: `native addon not built (${path} missing; run \`npm run build:native\`)` };
  }
  try {
    const req = createRequire(import.meta.url);
    const addon = req(path) as NativeAddon;
    // A stale build from an older source may lack a function: treat it like a missing build.
    for (const fn of [
      'sgemm',
      'binary',
      'unary',
      'reduce',
      'transpose',
      'stridedCopy',
      'softmax',
      'gatherRows',
      'scatterAddRows',
      'layerNormFwd',
      'denseFwd',
      'attentionFwd',
      'tiledAttentionFwd',
      'xentFwd',
      'optimizerStep',
      'sumSquares',
      'attentionCached',
    ]) {
      if (typeof (addon as unknown as Record<string, unknown>)[fn] !== 'function') {
        return {
          ok: false,
          reason: `native addon at ${path} lacks ${fn}(); rebuild with \`npm run build:native\``,
        };
      }
    }
    return { ok: true, addon, path };
  } catch (err) {
    // Typically libopenblas.so.0 missing at run time (apt libopenblas0 not installed).
    return { ok: false, reason: `native addon failed to load: ${(err as Error).message}` };
  }
}
