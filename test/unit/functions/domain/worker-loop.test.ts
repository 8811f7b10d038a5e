import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startWorkerLoop, type WorkerLoop } from '../../../../functions/domain/worker-loop';

let loop: WorkerLoop | undefined;
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(async () => {
  await loop?.stop();
  vi.useRealTimers();
});

/** Passes so far, at their fake times (ms after the start). */
function recorder(found: () => boolean) {
  const at: number[] = [];
  const t0 = Date.now();
  const pass = async () => {
    at.push(Date.now() - t0);
    return found();
  };
  return { at, pass };
}

describe('worker loop', () => {
  it('polls every interval while passes find work', async () => {
    const r = recorder(() => true);
    loop = startWorkerLoop(r.pass, { intervalMs: 1000, idleMaxMs: 8000 });
    await vi.advanceTimersByTimeAsync(5000);
    expect(r.at).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
  });

  it('doubles the wait after each idle pass up to idleMaxMs, and a kick brings it back', async () => {
    const r = recorder(() => false);
    loop = startWorkerLoop(r.pass, { intervalMs: 1000, idleMaxMs: 5000 });
    await vi.advanceTimersByTimeAsync(20_000);
    // Waits 2 s, 4 s, then 5 s (the cap).
    expect(r.at).toEqual([0, 2000, 6000, 11_000, 16_000]);
    loop.kick();
    await vi.advanceTimersByTimeAsync(10_000);
    // The kick's pass at once, then the wait starts over from the interval's double.
    expect(r.at.slice(5)).toEqual([20_000, 22_000, 26_000]);
  });

  it('goes back to the interval as soon as a pass finds work', async () => {
    let work = false;
    const r = recorder(() => work);
    loop = startWorkerLoop(r.pass, { intervalMs: 1000, idleMaxMs: 5000 });
    await vi.advanceTimersByTimeAsync(11_000);
    expect(r.at).toEqual([0, 2000, 6000, 11_000]);
    work = true;
    await vi.advanceTimersByTimeAsync(5000);
    expect(r.at.slice(4)).toEqual([16_000]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(r.at.slice(4)).toEqual([16_000, 17_000, 18_000]);
  });

  it('without idleMaxMs keeps to the interval, idle or not; a pass that throws counts as work', async () => {
    const errors: unknown[] = [];
    let n = 0;
    loop = startWorkerLoop(
      async () => {
        if (++n === 2) throw new Error('boom');
        return false;
      },
      { intervalMs: 1000, onError: (e) => errors.push(e) },
    );
    await vi.advanceTimersByTimeAsync(3000);
    expect(n).toBe(4);
    expect(errors).toHaveLength(1);
  });

  it('a kick during a pass runs exactly one more pass after it', async () => {
    let release!: () => void;
    let passes = 0;
    loop = startWorkerLoop(
      async () => {
        passes++;
        if (passes === 1) await new Promise<void>((r) => (release = r));
        return true;
      },
      { intervalMs: 60_000 },
    );
    loop.kick();
    loop.kick();
    release();
    await loop.idle();
    expect(passes).toBe(2);
  });
});
