import { describe, expect, it } from 'vitest';
import { startWebhookWorker } from '../../../../../functions/domain/webhooks';

function controllableEngine() {
  const runs: Array<() => void> = [];
  let active = 0;
  let maxActive = 0;
  return {
    runs,
    get maxActive() {
      return maxActive;
    },
    async processDue() {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((resolve) => runs.push(resolve));
      active--;
      return { outboxProcessed: 0, deliveriesCreated: 0, attempts: 0, succeeded: 0 };
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('webhook worker', () => {
  it('runs at start, never overlaps runs, and folds kicks during a run into one more run', async () => {
    const engine = controllableEngine();
    const worker = startWebhookWorker(engine, { intervalMs: 60_000 });
    await tick();
    expect(engine.runs).toHaveLength(1);
    worker.kick();
    worker.kick();
    worker.kick();
    await tick();
    expect(engine.runs).toHaveLength(1);
    engine.runs[0]();
    await tick();
    expect(engine.runs).toHaveLength(2);
    engine.runs[1]();
    await tick();
    expect(engine.runs).toHaveLength(2);
    expect(engine.maxActive).toBe(1);
    await worker.stop();
  });

  it('runs on its timer and keeps going after a failed run', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const worker = startWebhookWorker(
      {
        async processDue() {
          calls++;
          if (calls === 1) throw new Error('table unavailable');
          return { outboxProcessed: 0, deliveriesCreated: 0, attempts: 0, succeeded: 0 };
        },
      },
      { intervalMs: 20, onError: (e) => errors.push(e) },
    );
    await new Promise((r) => setTimeout(r, 120));
    await worker.stop();
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(errors).toHaveLength(1);
    const after = calls;
    await new Promise((r) => setTimeout(r, 60));
    expect(calls).toBe(after);
  });
});
