/**
 * runner/native/arena: kernel outputs are recycled once the backend drops their last tensor data,
 * and never while anything can still see them (views, arrays handed out by dataSync).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arenaStats } from '../../../../runner/native/arena';
import { loadAddon, registerNativeKernels, unregisterNativeKernels } from '../../../../runner/native';

describe.runIf(loadAddon().ok)('output buffer pool', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerNativeKernels({ log: () => {} });
  });
  afterAll(() => unregisterNativeKernels());

  const big = () => tf.fill([64, 64], 2);

  it('reuses a disposed output for the next one of the same size', () => {
    const a = big();
    tf.mul(a, 3).dispose(); // warm: one pooled buffer of 4,096 floats now free
    const before = arenaStats();
    const y = tf.mul(a, 3);
    expect(arenaStats().reused).toBe(before.reused + 1);
    expect(y.dataSync()[0]).toBe(6);
    tf.dispose([a, y]);
  });

  it('keeps a buffer while a view of it is alive, and its values intact', () => {
    const a = big();
    const y = tf.mul(a, 3);
    const view = tf.slice(tf.reshape(y, [4096]), [0], [2048]); // contiguous: a view of y's buffer
    y.dispose();
    const reusedBefore = arenaStats().reused;
    const z = tf.mul(a, 5); // must not get y's buffer
    expect(arenaStats().reused).toBe(reusedBefore);
    expect(view.dataSync()[10]).toBe(6);
    tf.dispose([a, view, z]);
  });

  it('never reuses an array that dataSync handed out', () => {
    const a = big();
    const y = tf.mul(a, 3);
    const held = y.dataSync();
    y.dispose();
    const z = tf.mul(a, 7);
    expect(held[0]).toBe(6);
    expect(z.dataSync()[0]).toBe(14);
    tf.dispose([a, z]);
  });
});
