// Output buffers for the native kernels.
export function allocF32(n: number): Float32Array {
  return new Float32Array(n);
}
