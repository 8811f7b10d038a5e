/**
 * The dashboard's budget: the size of its JavaScript (gzipped) and how long its job page takes,
 * in Debian's Chromium on the embedded stack, to show a job with 10,000 metrics points — from a
 * reload of the page until the loss chart has drawn all of them and the page answers input (the
 * cursor's legend shows the last point). The job and its events are written to the stack's
 * DynamoDB directly (10,000 metrics events), then read by the page through the API like any job's:
 * the charts from the metrics columns (`GET …/metrics`, one request), the event list's newest page.
 * Last line:
 *   js_gzip_kb=… job_page_10k_interactive_ms=…
 *
 *   npm run bench:dashboard -- [--points 10000] [--runs 3]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildDashboard } from '../../dashboard/build';
import { createAwsClients } from '../../functions/adapters/aws-clients';
import { createDynamoStores } from '../../functions/adapters/dynamodb';
import { recordMetrics } from '../../functions/domain/lifecycle/events';
import { systemClock } from '../../functions/ports/clock';
import { parseLocalConfig } from '../../infra/local/config';
import { LOCAL_TENANT } from '../../infra/local/api-key';
import { startLocalStack } from '../../infra/local/stack';
import { DEFAULT_HYPERPARAMETERS } from '../../openapi/schemas/hyperparameters';
import { launchChromium, signIn } from '../dashboard/browser';
import { jobRecord } from '../support/records';

const { values } = parseArgs({
  options: { points: { type: 'string', default: '10000' }, runs: { type: 'string', default: '3' } },
});
const POINTS = Number(values.points);
const RUNS = Number(values.runs);
const KEY = 'tp_bench_dashboard_key_0123456789';

const t0 = performance.now();
const built = await buildDashboard();
const buildMs = performance.now() - t0;
const jsGzipKb = built.jsGzipBytes / 1024;
console.log(
  `build_ms=${buildMs.toFixed(0)} files=${built.files.map((f) => `${f.name}:${f.contents.byteLength}`).join(',')}`,
);

const dataDir = await mkdtemp(path.join(tmpdir(), 'tuneplane-bench-dashboard-'));
const config = parseLocalConfig({ PORT: '0', TUNEPLANE_DATA_DIR: dataDir, TUNEPLANE_API_KEY: KEY });
const stack = await startLocalStack(config, { dashboard: built });
const clients = createAwsClients({
  region: config.region,
  dynamodbEndpoint: stack.dynamodbEndpoint,
  s3Endpoint: stack.s3Endpoint,
  credentials: stack.storeCredentials,
});
const stores = createDynamoStores(clients.doc, config.table, systemClock);
const chromium = await launchChromium();
try {
  // A finished job of POINTS steps over 4 epochs: train metrics every step, an evaluation every 50.
  const jobId = 'ftjob-benchdashboard10k';
  const now = Math.floor(Date.now() / 1000);
  const hp = { ...DEFAULT_HYPERPARAMETERS, n_epochs: 4, eval_interval_steps: 50, metrics_interval_steps: 1 };
  await stores.jobs.create(
    jobRecord({
      id: jobId,
      tenantId: LOCAL_TENANT,
      status: 'succeeded',
      model: 'tuneplane-tiny-char',
      method: { type: 'supervised', hyperparameters: { n_epochs: 4 } },
      resolvedHyperparameters: hp,
      createdAt: now - 3600,
      finishedAt: now,
      progress: { step: POINTS, totalSteps: POINTS, epoch: 4, loss: 0.5 },
    } as Parameters<typeof jobRecord>[0]),
  );
  const t1 = performance.now();
  const job = { id: jobId, tenantId: LOCAL_TENANT };
  const deps = { stores, clock: systemClock };
  for (let start = 1; start <= POINTS; start += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, POINTS - start + 1) }, (_, i) => {
        const step = start + i;
        const loss = 2.5 * Math.exp(-step / 2500) + 0.4 + 0.05 * Math.sin(step);
        return recordMetrics(deps, job, {
          step,
          totalSteps: POINTS,
          epoch: Math.floor(((step - 1) * 4) / POINTS) + 1,
          train_loss: loss,
          train_mean_token_accuracy: 1 - loss / 3,
          lr: 1e-3 * (1 - step / POINTS),
          grad_norm: 1 + Math.cos(step / 100),
          ...(step % 50 === 0
            ? { valid_loss: loss + 0.1, valid_mean_token_accuracy: 1 - (loss + 0.1) / 3 }
            : {}),
        });
      }),
    );
  }
  console.log(`seeded ${POINTS} metrics events in ${((performance.now() - t1) / 1000).toFixed(1)} s`);

  const page = await chromium.page();
  await signIn(page, stack.dashboardUrl!, KEY);
  await page.goto(`${stack.dashboardUrl}#/jobs/${jobId}`);
  const times: number[] = [];
  const firstChart: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    await page.reload();
    await page.locator('figure.chart').first().waitFor();
    await page.waitForFunction(
      (el) => Number((el as unknown as { dataset: { points?: string } }).dataset.points) > 0,
      await page.locator('figure.chart').first().elementHandle(),
    );
    firstChart.push(performance.now() - start);
    await page.locator(`figure.chart[data-points="${POINTS}"]`).first().waitFor({ timeout: 60_000 });
    await page.locator('main[data-ready="true"]').waitFor();
    // Interactive: the cursor over the chart updates the legend with the last point.
    const over = page.locator('figure.chart .u-over').first();
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2);
    await page
      .locator('figure.chart .u-legend tr')
      .nth(0)
      .locator('.u-value')
      .filter({ hasText: POINTS.toLocaleString('en-US') })
      .waitFor();
    times.push(performance.now() - start);
    await page.mouse.move(0, 0);
    console.log(
      `run ${run + 1}: first points drawn ${firstChart.at(-1)!.toFixed(0)} ms, all ${POINTS} drawn and answering ${times.at(-1)!.toFixed(0)} ms`,
    );
  }
  // Where the time goes: the API alone, from the same browser — the metrics columns the page reads,
  // and paging the events API as the page did before the metrics endpoint existed.
  const apiMs = await page.evaluate(
    async ({ id, key }) => {
      const headers = { authorization: `Bearer ${key}` };
      const s = performance.now();
      const r = await fetch(`/v1/fine_tuning/jobs/${id}/metrics`, { headers });
      const columns = (await r.json()) as { step: number[] };
      const metricsMs = performance.now() - s;
      const bytes = Number(r.headers.get('content-length') ?? 0);
      const e = performance.now();
      let after = '';
      for (;;) {
        const res = await fetch(
          `/v1/fine_tuning/jobs/${id}/events?limit=1000${after ? `&after=${after}` : ''}`,
          { headers },
        );
        const j = (await res.json()) as { has_more: boolean; last_id: string };
        if (!j.has_more) break;
        after = j.last_id;
      }
      return { metricsMs, steps: columns.step.length, bytes, eventsMs: performance.now() - e };
    },
    { id: jobId, key: KEY },
  );
  const drawMs = await page.evaluate(() =>
    performance.getEntriesByName('tuneplane:charts').map((e) => e.duration),
  );
  console.log(`chart_update_ms (all ${POINTS} points, last reload)=${drawMs.at(-1)!.toFixed(1)}`);
  console.log(
    `metrics_api_ms=${apiMs.metricsMs.toFixed(0)} (${apiMs.steps} steps${apiMs.bytes ? `, ${(apiMs.bytes / 1024).toFixed(0)} KB` : ''}); events_api_paging_ms=${apiMs.eventsMs.toFixed(0)} (${Math.ceil(POINTS / 1000)} pages of 1000, for comparison)`,
  );
  const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
  console.log(
    `js_gzip_kb=${jsGzipKb.toFixed(1)} job_page_${POINTS >= 1000 ? `${POINTS / 1000}k` : POINTS}_interactive_ms=${median.toFixed(0)}`,
  );
} finally {
  await chromium.close();
  clients.destroy();
  await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
}
