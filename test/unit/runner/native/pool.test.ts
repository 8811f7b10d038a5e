/**
 * The native worker pool hands each kernel call's chunks to its threads. Calls follow each other
 * within microseconds, so a worker the OS schedules late may wake after the call it was woken for
 * has finished: it must not then run chunks of the next call with the previous call's function
 * and arguments (that wrote nothing into the next call's output, or read freed memory and crashed
 * the process: the sentiment test crashed 6 runs in 8 that way).
 */
import { describe, expect, it } from 'vitest';
import { loadAddon, UnaryOp } from '../../../../runner/native/addon';

// TUNEPLANE_NATIVE_ADDON points the test at another build (e.g. an older one, to see it fail).
const load = loadAddon(process.env.TUNEPLANE_NATIVE_ADDON);

describe.skipIf(!load.ok)('native worker pool', () => {
  it('gives every call of back-to-back parallel kernels its own chunks', () => {
    if (!load.ok) return;
    const addon = load.addon;
    addon.setThreads(2);
    // Two sizes, each past the threshold at which a call is split across the pool.
    const sizes = [70_000, 90_000];
    const inputs = sizes.map((n) => Float32Array.from({ length: n }, (_, i) => (i % 97) - 48 + 0.5));
    let wrong = 0;
    for (let call = 0; call < 12_000; call++) {
      const x = inputs[call % 2];
      const out = new Float32Array(x.length);
      addon.unary(UnaryOp.Neg, x, out);
      for (let i = 0; i < x.length; i += 61) if (out[i] !== -x[i]) wrong++;
    }
    expect(wrong).toBe(0);
  });
});
