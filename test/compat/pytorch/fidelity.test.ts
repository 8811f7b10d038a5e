/**
 * Fidelity against PyTorch on the CPU path: logits, cross-entropy loss and the gradient of every
 * weight, float32 (harness.ts has the cases and the comparison; test/compat/webgpu runs the same on
 * the WebGPU backend). Every case runs on both CPU paths of runner/model/ops: the fused native
 * kernels (when the addon is built) and the composed tfjs ops on the pure-JS backend.
 *
 * Needs python3 with torch (Debian: apt-get install python3-torch libopenblas0-openmp). Without it
 * the suite is skipped with the reason printed; CI installs it.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUSED, hasKernel } from '../../../runner/model/ops';
import { loadAddon, registerNativeKernels, unregisterNativeKernels } from '../../../runner/native';
import {
  ARCHITECTURE_CASES,
  CASES,
  compareWithPyTorch,
  DPO_CASES,
  findTorchPython,
  MOE_CASES,
} from './harness';

const TOLERANCE = 1e-4;

const python = findTorchPython();
if (!python)
  console.warn(
    'SKIPPED test/compat/pytorch: no python3 with torch found (apt-get install python3-torch libopenblas0-openmp).',
  );

const FUSED_PATH = 'fused native kernels';
const PATHS = loadAddon().ok ? [FUSED_PATH, 'composed tfjs ops'] : ['composed tfjs ops'];

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => unregisterNativeKernels());

describe.skipIf(!python).each(PATHS)(
  'fidelity against PyTorch on %s (float32, rel err = max|a-b|/max|b| ≤ 1e-4)',
  (path) => {
    beforeAll(() => {
      if (path === FUSED_PATH) registerNativeKernels({ log: () => {} });
      else unregisterNativeKernels();
    });

    it.each([...CASES, ...DPO_CASES, ...ARCHITECTURE_CASES, ...MOE_CASES])(
      '$name: logits, loss and every weight gradient match',
      async (c) => {
        expect(hasKernel(FUSED.Dense)).toBe(path === FUSED_PATH);
        const r = await compareWithPyTorch(python!, c);
        expect(r.logitsShape.ours).toEqual(r.logitsShape.torch);
        expect(r.logits).toBeLessThanOrEqual(TOLERANCE);
        expect(r.loss).toBeLessThanOrEqual(TOLERANCE);
        if (r.aux !== undefined) expect(r.aux).toBeLessThanOrEqual(TOLERANCE);
        expect(r.gradNames.ours).toEqual(r.gradNames.torch);
        expect(r.worstGrad[1], `worst gradient: ${r.worstGrad[0]}`).toBeLessThanOrEqual(TOLERANCE);
      },
    );
  },
);
