/**
 * The fuzzer in the suite (test/support/fuzz.ts): requests built by fast-check from our own
 * /openapi.json for every operation, over real HTTP to the app on the embedded stack. A fixed
 * seed and a bounded count keep it reproducible and under a minute; `npm run fuzz` runs longer.
 * Never a 5xx, every 4xx in the error envelope, an x-request-id on every response.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRequest, requestsFor, send } from '../support/fuzz';
import { startFuzzTarget, type FuzzTarget } from './target';

const SEED = 20261202;
const REQUESTS = 300;

let target: FuzzTarget;
beforeAll(async () => {
  target = await startFuzzTarget();
}, 60_000);
afterAll(() => target?.close());

describe('fuzzing every operation of /openapi.json', () => {
  it(`${REQUESTS} requests (seed ${SEED}): no 5xx, 4xx always in the error envelope`, async () => {
    const statuses = new Map<number, number>();
    // fc.check rather than fc.assert: a counterexample can hold a 70 KB string, so the failure
    // is reported as one readable line (and the seed and path that replay it).
    const out = await fc.check(
      fc.asyncProperty(
        requestsFor(target.doc, { key: target.api.keyA, otherKey: target.api.keyB }, target.known),
        async (req) => {
          const result = await send(target.baseUrl, req);
          statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
          if ('problem' in result) throw new Error(`${result.problem} → ${result.body}`);
        },
      ),
      { seed: SEED, numRuns: REQUESTS },
    );
    if (out.failed) {
      const [req] = out.counterexample!;
      throw new Error(
        `after ${out.numRuns} requests (seed ${out.seed}, path ${out.counterexamplePath}): ` +
          `${(out.errorInstance as Error)?.message ?? String(out.errorInstance)}\n  ${describeRequest(req)}`,
      );
    }
    // The fuzzer reaches past validation too, not only 400s.
    const ok = [...statuses].filter(([s]) => s >= 200 && s < 300).reduce((n, [, c]) => n + c, 0);
    expect(ok).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
  }, 120_000);
});
