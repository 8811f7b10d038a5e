import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { chooseAdapter, initBackend } from '../../../runner/backend';
import { RunnerEnvSchema } from '../../../runner/entry/job';
import type { FoundAdapter, ProbeResult } from '../../../runner/webgpu';

const noGpu = () => [];

function adapter(device: string, backend: 'vulkan' | 'opengles', software: boolean): FoundAdapter {
  return {
    gpu: {} as FoundAdapter['gpu'],
    adapter: {} as FoundAdapter['adapter'],
    report: {
      backend,
      featureLevel: backend === 'vulkan' ? 'core' : 'compatibility',
      vendor: software ? 'mesa' : 'nvidia',
      architecture: software ? '' : 'ampere',
      device,
      description: '',
      software,
    },
  };
}

describe('initBackend', () => {
  it('falls back to pure-JS cpu when no native TensorFlow package or GPU is there, and says why in one JSON line', async () => {
    const lines: string[] = [];
    const info = await initBackend({ log: (l) => lines.push(l), gpuDeviceNodes: noGpu });
    expect(info.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({ msg: 'tensorflow backend selected', backend: 'cpu' });
    expect(line.skipped.map((s: { pkg: string }) => s.pkg)).toEqual([
      '@tensorflow/tfjs-node-gpu',
      'webgpu',
      '@tensorflow/tfjs-node',
    ]);
    expect(line.skipped[1].reason).toMatch(/no GPU device node/);
  });

  it('fails clearly when a specific backend is required but missing', async () => {
    await expect(initBackend({ prefer: 'gpu', log: () => {} })).rejects.toThrow(
      /Backend "gpu" is not available/,
    );
    const none: ProbeResult = { found: [], missing: [{ backend: 'vulkan', reason: 'no driver' }] };
    await expect(
      initBackend({ prefer: 'webgpu', log: () => {}, probeWebGpu: async () => none }),
    ).rejects.toThrow('Backend "webgpu" is not available: vulkan: no driver');
  });

  it('skips a native package that loads but does not provide the tensorflow backend', async () => {
    const tried: string[] = [];
    const info = await initBackend({
      log: () => {},
      importModule: async (name) => void tried.push(name),
      gpuDeviceNodes: noGpu,
    });
    expect(tried).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    expect(info.backend).toBe('cpu');
  });

  it('with a GPU device node, asks Dawn, and passes over a software renderer to the cpu path, naming it', async () => {
    const lines: string[] = [];
    const probe: ProbeResult = {
      found: [adapter('llvmpipe (LLVM 15.0.6, 256 bits)', 'opengles', true)],
      missing: [{ backend: 'vulkan', reason: 'Dawn found no vulkan adapter' }],
    };
    const info = await initBackend({
      log: (l) => lines.push(l),
      gpuDeviceNodes: () => ['/dev/dri/renderD128'],
      probeWebGpu: async () => probe,
    });
    expect(info.backend).toBe('cpu');
    const webgpu = JSON.parse(lines[0]).skipped.find((s: { pkg: string }) => s.pkg === 'webgpu');
    expect(webgpu.reason).toBe(
      'opengles: llvmpipe (LLVM 15.0.6, 256 bits) is a software renderer, not chosen automatically ' +
        '(TUNEPLANE_BACKEND=webgpu forces it); vulkan: Dawn found no vulkan adapter',
    );
  });
});

describe('chooseAdapter', () => {
  const soft = adapter('llvmpipe', 'opengles', true);
  const a10g = adapter('NVIDIA A10G', 'vulkan', false);

  it('takes the first hardware adapter and says why the others were not', () => {
    const r = chooseAdapter({ found: [a10g, soft], missing: [] }, false);
    expect(r.chosen).toBe(a10g);
    expect(r.why).toMatch(/^opengles: llvmpipe is a software renderer/);
  });

  it('takes a software adapter only when allowed (TUNEPLANE_BACKEND=webgpu)', () => {
    expect(chooseAdapter({ found: [soft], missing: [] }, false).chosen).toBeUndefined();
    expect(chooseAdapter({ found: [soft], missing: [] }, true).chosen).toBe(soft);
    expect(chooseAdapter({ found: [], missing: [] }, true)).toEqual({ why: 'Dawn found no adapter' });
  });
});

describe('TUNEPLANE_BACKEND', () => {
  const env = { TUNEPLANE_JOB_ID: 'ftjob-1', TUNEPLANE_TABLE: 't', TUNEPLANE_BUCKET: 'b' };

  it('defaults to auto and accepts each backend by name', () => {
    expect(RunnerEnvSchema.parse(env).TUNEPLANE_BACKEND).toBe('auto');
    for (const b of ['gpu', 'webgpu', 'node', 'cpu'])
      expect(RunnerEnvSchema.parse({ ...env, TUNEPLANE_BACKEND: b }).TUNEPLANE_BACKEND).toBe(b);
  });

  it('refuses an unknown backend, naming the variable', () => {
    const r = RunnerEnvSchema.safeParse({ ...env, TUNEPLANE_BACKEND: 'tpu' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['TUNEPLANE_BACKEND']);
  });
});
