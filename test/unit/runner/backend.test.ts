import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../runner/backend';

describe('initBackend', () => {
  it('falls back to pure-JS cpu when no native TensorFlow package is installed, and says why in one JSON line', async () => {
    const lines: string[] = [];
    const info = await initBackend({ log: (l) => lines.push(l) });
    expect(info.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({ msg: 'tensorflow backend selected', backend: 'cpu' });
    expect(line.skipped.map((s: { pkg: string }) => s.pkg)).toEqual([
      '@tensorflow/tfjs-node-gpu',
      '@tensorflow/tfjs-node',
    ]);
  });

  it('fails clearly when a specific backend is required but missing', async () => {
    await expect(initBackend({ prefer: 'gpu', log: () => {} })).rejects.toThrow(
      /Backend "gpu" is not available/,
    );
  });

  it('skips a native package that loads but does not provide the tensorflow backend', async () => {
    const tried: string[] = [];
    const info = await initBackend({ log: () => {}, importModule: async (name) => void tried.push(name) });
    expect(tried).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    expect(info.backend).toBe('cpu');
  });
});
