/**
 * Backend selection with Dawn's real adapters: what it reports for Mesa's software renderer, and
 * that auto mode puts the trainer on WebGPU when Dawn offers a hardware adapter. There is no GPU
 * here, so for the latter the probe's one real adapter (llvmpipe) is presented as hardware; the
 * backend is then really initialised on it.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../runner/backend';
import { probeAdapters, type ProbeResult } from '../../../runner/webgpu';

let probe: ProbeResult | undefined;
try {
  probe = await probeAdapters();
} catch (err) {
  if (process.env.TUNEPLANE_REQUIRE_WEBGPU === '1') throw err;
  console.warn(`SKIPPED test/compat/webgpu selection: ${(err as Error).message}`);
}
const found = probe?.found ?? [];
if (probe && found.length === 0) {
  if (process.env.TUNEPLANE_REQUIRE_WEBGPU === '1')
    throw new Error(`Dawn found no adapter: ${JSON.stringify(probe.missing)}`);
  console.warn('SKIPPED test/compat/webgpu selection: Dawn found no adapter.');
}

describe.skipIf(found.length === 0)('WebGPU backend selection', () => {
  it('reports each adapter with its Dawn backend and feature level, and llvmpipe as software', () => {
    for (const f of found) {
      expect(['vulkan', 'opengles']).toContain(f.report.backend);
      expect(f.report.featureLevel).toBe(f.report.backend === 'vulkan' ? 'core' : 'compatibility');
      if (/llvmpipe|lavapipe|swiftshader/i.test(f.report.device)) expect(f.report.software).toBe(true);
    }
  });

  it('auto mode trains on WebGPU when Dawn offers a hardware adapter, and its log line names the adapter', async () => {
    const real = found[0];
    const asHardware: ProbeResult = {
      found: [{ ...real, report: { ...real.report, software: false } }],
      missing: [],
    };
    const lines: string[] = [];
    const info = await initBackend({
      log: (l) => lines.push(l),
      gpuDeviceNodes: () => ['/dev/nvidia0'],
      probeWebGpu: async () => asHardware,
    });
    expect(info.backend).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const line = JSON.parse(lines.at(-1)!);
    expect(line).toMatchObject({
      msg: 'tensorflow backend selected',
      backend: 'webgpu',
      adapter: {
        backend: real.report.backend,
        featureLevel: real.report.featureLevel,
        device: real.report.device,
      },
    });
    expect(line.description).toContain(`WebGPU on Dawn (${real.report.backend}`);
    // tfjs-node-gpu came first and was skipped, with its reason.
    expect(line.skipped[0].pkg).toBe('@tensorflow/tfjs-node-gpu');
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect([...(await y.data())]).toEqual([11]);
  });
});
