/**
 * The PyTorch fidelity cases (test/compat/pytorch/harness.ts: logits, loss and every weight
 * gradient of GPT-2 and Llama, causal LM and classification, with and without gradient
 * checkpointing) on the WebGPU backend: Dawn on Mesa's llvmpipe here and in CI.
 *
 * Tolerance: the same 1e-4 (max|ours - torch| / max|torch|) as the CPU path. float32 on WebGPU sums
 * in other orders than PyTorch's BLAS (tiled matmuls, tree reductions, atomic scatter-adds for the
 * embedding gradient) and WGSL's exp/log/tanh may be a few ulp off; that moves results by ~1e-6 of
 * the largest entry (measured here: worst 5e-6), far inside 1e-4, while a wrong op is off by O(1).
 */
import { describe, expect, it } from 'vitest';
import { CASES, compareWithPyTorch, findTorchPython } from '../pytorch/harness';
import { deviceErrors, useWebGpu } from './setup';

const TOLERANCE = 1e-4;

const python = findTorchPython();
if (!python) console.warn('SKIPPED test/compat/webgpu fidelity: no python3 with torch found.');
const webgpu = python ? await useWebGpu('test/compat/webgpu fidelity') : undefined;

describe.skipIf(!webgpu)('fidelity against PyTorch on WebGPU (rel err ≤ 1e-4)', () => {
  it('runs on the WebGPU backend, on the adapter the selection reports', () => {
    expect(webgpu!.info.backend).toBe('webgpu');
    expect(webgpu!.line).toMatchObject({ msg: 'tensorflow backend selected', backend: 'webgpu' });
    expect(webgpu!.info.adapter?.device || webgpu!.info.adapter?.description).toBeTruthy();
  });

  it.each(CASES)(
    '$name: logits, loss and every weight gradient match',
    async (c) => {
      const r = await compareWithPyTorch(python!, c);
      expect(deviceErrors()).toEqual([]);
      expect(r.logitsShape.ours).toEqual(r.logitsShape.torch);
      expect(r.logits).toBeLessThanOrEqual(TOLERANCE);
      expect(r.loss).toBeLessThanOrEqual(TOLERANCE);
      expect(r.gradNames.ours).toEqual(r.gradNames.torch);
      expect(r.worstGrad[1], `worst gradient: ${r.worstGrad[0]}`).toBeLessThanOrEqual(TOLERANCE);
    },
    180_000,
  );
});
