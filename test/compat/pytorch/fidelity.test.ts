/**
 * Fidelity against PyTorch on the CPU path (pure tfjs + runner/native's kernels where built): logits,
 * cross-entropy loss and the gradient of every weight, float32 (harness.ts has the cases and the
 * comparison; test/compat/webgpu runs the same on the WebGPU backend).
 *
 * Needs python3 with torch (Debian: apt-get install python3-torch libopenblas0-openmp). Without it
 * the suite is skipped with the reason printed; CI installs it.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CASES, compareWithPyTorch, findTorchPython } from './harness';

const TOLERANCE = 1e-4;

const python = findTorchPython();
if (!python)
  console.warn(
    'SKIPPED test/compat/pytorch: no python3 with torch found (apt-get install python3-torch libopenblas0-openmp).',
  );

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.skipIf(!python)('fidelity against PyTorch (float32, rel err = max|a-b|/max|b| ≤ 1e-4)', () => {
  it.each(CASES)('$name: logits, loss and every weight gradient match', async (c) => {
    const r = await compareWithPyTorch(python!, c);
    expect(r.logitsShape.ours).toEqual(r.logitsShape.torch);
    expect(r.logits).toBeLessThanOrEqual(TOLERANCE);
    expect(r.loss).toBeLessThanOrEqual(TOLERANCE);
    expect(r.gradNames.ours).toEqual(r.gradNames.torch);
    expect(r.worstGrad[1], `worst gradient: ${r.worstGrad[0]}`).toBeLessThanOrEqual(TOLERANCE);
  });
});
