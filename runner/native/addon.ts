// Loads the compiled N-API addon (runner/native/build/Release/tuneplane_native.node, built by
// `npm run build:native`). A missing or broken build is not an error: the caller falls back to
// the pure-JS tfjs kernels, so this returns the reason instead of throwing.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
