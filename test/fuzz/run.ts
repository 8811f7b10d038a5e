/**
 * `npm run fuzz [-- --requests N] [--seed S]`: the OpenAPI-driven fuzzer (test/support/fuzz.ts)
 * for longer than the suite runs it, against the app on the embedded stack. Prints every finding
 * (request, status, problem, body) and the totals: requests, 5xx, bad envelopes. Exits 1 on any
 * finding.
 */
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import { describeRequest, requestsFor, send, type Finding } from '../support/fuzz';
import { startFuzzTarget } from './target';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '3000' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
  },
});
const requests = Number(values.requests);
const seed = Number(values.seed);
const target = await startFuzzTarget();
const findings: Finding[] = [];
const statuses = new Map<number, number>();
const t0 = performance.now();
try {
  const samples = fc.sample(
    requestsFor(target.doc, { key: target.api.keyA, otherKey: target.api.keyB }, target.known),
    { seed, numRuns: requests },
  );
  for (const [i, req] of samples.entries()) {
    const result = await send(target.baseUrl, req);
    statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
    if ('problem' in result) {
      findings.push(result);
      console.log(`#${i} ${result.problem}\n  ${describeRequest(req)}\n  → ${result.body}`);
    }
    if ((i + 1) % 500 === 0) console.error(`${i + 1}/${requests} requests, ${findings.length} findings`);
  }
} finally {
  await target.close();
}
const count = (p: (f: Finding) => boolean) => findings.filter(p).length;
console.log(
  JSON.stringify({
    seed,
    requests,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    status_counts: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
    server_errors: count((f) => f.status >= 500),
    bad_envelopes: count((f) => f.status >= 400 && f.status < 500),
    no_response: count((f) => f.status === 0),
    other: count((f) => f.status > 0 && f.status < 400),
  }),
);
process.exitCode = findings.length ? 1 : 0;
