/**
 * The dashboard in Debian's Chromium on the embedded stack that `npm start` boots: a job created
 * through the form (a refused file's line-numbered report first, then the estimate), the loss
 * chart drawing that job's real metrics (checked against the events API), a job cancelled with
 * its button, a sweep's page, a webhook redelivered, the jobs list filtered by the API, the
 * playground streaming a model tuned in the test beside its base model. Each page is screenshotted into
 * test/dashboard/screenshots/ and scanned with axe-core: no serious or critical violation.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '../../openapi/sdk/client';
import {
  createChatCompletion,
  createFile,
  createFineTuningJob,
  createFineTuningSweep,
  createWebhookEndpoint,
  listFiles,
  listFineTuningJobCheckpoints,
  listFineTuningJobEvents,
  listFineTuningJobs,
  listWebhookDeliveries,
  retrieveFineTuningJob,
  retrieveFineTuningSweep,
} from '../../openapi/sdk/sdk.gen';
import { jsonl, sentiment } from '../api/data';
import { CAPITALS_BASE, CAPITALS_HYPERPARAMETERS, capitalsJsonl } from '../support/capitals';
import { freePort, start, stop, type Running } from '../support/npm-start';
import {
  SCREENSHOTS,
  axeViolations,
  launchChromium,
  seriousViolations,
  signIn,
  type Chromium,
  type Page,
} from './browser';

const KEY = 'tp_dashboard_test_key_0123456789';
let stack: Running;
let client: Client;
let dashboardUrl: string;
let chromium: Chromium;
let page: Page;
let receiver: Server;
let receiverUrl: string;
const received: number[] = [];
const pageErrors: string[] = [];

// The built-in base model reads characters with a 128-token context: short prompt/completion pairs.
const examples = (n: number, offset = 0) =>
  sentiment(n, offset).map(([text, label]) => ({
    prompt: `${text.slice(0, 50)} =>`,
    completion: label ? ' positive' : ' negative',
  }));
const TRAIN = jsonl(examples(24));
const VALID = jsonl(examples(12, 100));

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${stack.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function snapshot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  expect(seriousViolations(await axeViolations(page)), `axe on ${name}`).toEqual([]);
}

const upload = async (name: string, text: string) =>
  (await createFile({ client, body: { purpose: 'fine-tune', file: new File([text], name) } })).data!.id;

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  // A receiver that is down for its first request, then answers.
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = received.length === 0 ? 503 : 200;
      received.push(status);
      res
        .writeHead(status, { 'content-type': 'text/plain' })
        .end(status === 200 ? 'thanks' : 'down for maintenance');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  stack = await start({
    PORT: String(await freePort()),
    TUNEPLANE_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'tuneplane-dashboard-')),
    TUNEPLANE_API_KEY: KEY,
    TUNEPLANE_WEBHOOKS_ALLOW_LOOPBACK: 'true',
    TUNEPLANE_WEBHOOK_RETRY_SCALE: '0.0005',
  });
  dashboardUrl = /Dashboard: (http:\S+)/.exec(stack.output())?.[1] ?? '';
  client = createClient({
    baseUrl: stack.baseUrl.replace(/\/v1$/, ''),
    headers: { Authorization: `Bearer ${KEY}` },
  });
  chromium = await launchChromium();
  page = await chromium.page();
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  if (stack) await stop(stack);
  await new Promise((r) => receiver?.close(r));
});

describe('the dashboard in Chromium', () => {
  let jobId: string;
  let endpointId: string;

  it('is served at / by npm start, which prints its URL', async () => {
    expect(dashboardUrl).toBe(stack.baseUrl.replace(/v1$/, ''));
    const res = await fetch(dashboardUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    endpointId = (
      await createWebhookEndpoint({
        client,
        body: { url: receiverUrl, enabled_events: ['fine_tuning.job.succeeded'] },
      })
    ).data!.id;
    await signIn(page, dashboardUrl, KEY);
  });

  it('creates a job through the form: a refused file shows its report by line, then the estimate, then the job', async () => {
    await page.goto(`${dashboardUrl}#/jobs/new`);
    const bad = TRAIN.split('\n').slice(0, 12);
    bad[2] = '{"prompt": "missing its end';
    await page.setInputFiles('#training-upload', {
      name: 'bad.jsonl',
      mimeType: 'application/jsonl',
      buffer: Buffer.from(bad.join('\n')),
    });
    const report = page.locator('#training-report');
    await expect.poll(() => report.textContent(), { timeout: 15_000 }).toContain('was refused');
    const row = report.locator('tbody tr').first();
    expect(await row.locator('td').first().textContent()).toBe('3');
    expect(await row.locator('td').nth(2).textContent()).toContain('missing its end');

    await page.setInputFiles('#training-upload', {
      name: 'train.jsonl',
      mimeType: 'application/jsonl',
      buffer: Buffer.from(TRAIN),
    });
    await expect.poll(() => report.textContent(), { timeout: 15_000 }).toContain('is valid');
    await page.setInputFiles('#validation-upload', {
      name: 'valid.jsonl',
      mimeType: 'application/jsonl',
      buffer: Buffer.from(VALID),
    });
    await expect
      .poll(() => page.locator('#validation-report').textContent(), { timeout: 15_000 })
      .toContain('is valid');
    await page.selectOption('#model', 'tuneplane-tiny-char');
    await page.getByLabel('n_epochs').fill('2');
    await page.getByLabel('batch_size', { exact: true }).fill('4');
    await page.getByLabel('eval_interval_steps').fill('2');
    await page.getByLabel('metrics_interval_steps').fill('1');
    // The help text is the contract's description.
    expect(await page.locator('#hp-n_epochs-help').textContent()).toContain(
      'Passes over the training examples',
    );

    // A value out of range: the API's 400 lands on the field it names.
    await page.getByLabel('dropout').fill('1.5');
    await page.getByRole('button', { name: 'Estimate' }).click();
    await expect.poll(() => page.locator('#hp-dropout-error').textContent()).toMatch(/dropout/);
    expect(await page.getByLabel('dropout').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('dropout').fill('');

    const create = page.getByRole('button', { name: 'Create job' });
    expect(await create.isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Estimate' }).click();
    await expect.poll(() => page.locator('#estimate').textContent()).toContain('Resolved hyperparameters');
    expect(await page.locator('#estimate').textContent()).toMatch(/Steps\d+ \(\d+ per epoch × 2 epochs\)/);
    expect(await create.isDisabled()).toBe(false);
    await snapshot('new-job');
    await create.click();
    await page.waitForURL(/#\/jobs\/ftjob-/);
    jobId = /#\/jobs\/(ftjob-[^/?]+)/.exec(page.url())![1];
    const job = (await retrieveFineTuningJob({ client, path: { fine_tuning_job_id: jobId } })).data!;
    expect(job.method.type === 'supervised' && job.method.supervised.hyperparameters).toMatchObject({
      n_epochs: 2,
      batch_size: 4,
      eval_interval_steps: 2,
    });
    expect(job.validation_file).toBeTruthy();
  }, 60_000);

  it("draws the job's real metrics live: the loss chart's points and last value are the events API's", async () => {
    await until(
      'the job to end',
      async () => {
        const j = (await retrieveFineTuningJob({ client, path: { fine_tuning_job_id: jobId } })).data!;
        return ['succeeded', 'failed', 'cancelled'].includes(j.status) && j;
      },
      240_000,
    );
    // The page kept polling: it shows the end without a reload.
    await expect.poll(() => page.locator('h1 .badge').textContent(), { timeout: 10_000 }).toBe('succeeded');
    const events = (
      await listFineTuningJobEvents({ client, path: { fine_tuning_job_id: jobId }, query: { limit: 100 } })
    ).data!.data;
    const metrics = events
      .filter((e) => e.type === 'metrics')
      .map((e) => e.data as Record<string, number>)
      .sort((a, b) => a.step - b.step);
    expect(metrics.length).toBeGreaterThan(10);
    const loss = page.locator('figure.chart', { hasText: 'Loss' }).first();
    await expect
      .poll(() => loss.getAttribute('data-points'), { timeout: 10_000 })
      .toBe(String(metrics.length));
    expect(await loss.getAttribute('data-last-x')).toBe(String(metrics.at(-1)!.step));

    // Hovering the right end puts the last point's values in the legend, as the API reported them.
    const over = loss.locator('.u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2);
    const legendValue = (label: string) =>
      loss.locator('.u-legend tr', { hasText: label }).first().locator('.u-value').textContent();
    const last = metrics.at(-1)!;
    expect(Number(await legendValue('train (raw)'))).toBeCloseTo(last.train_loss, 3);
    const lastValid = metrics.filter((m) => typeof m.valid_loss === 'number').at(-1)!;
    expect(lastValid.step).toBe(last.step);
    expect(Number(await legendValue('valid'))).toBeCloseTo(lastValid.valid_loss, 3);

    // The canvas has ink: the curves were drawn, not just the axes.
    const inked = await loss.locator('canvas').evaluate((c) => {
      // The test's types have no DOM; the canvas API as used here.
      const canvas = c as unknown as {
        width: number;
        height: number;
        getContext(t: '2d'): {
          getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
        };
      };
      const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 150 && d[i] < 120) n++; // blue-ish pixels
      return n;
    });
    expect(inked).toBeGreaterThan(200);
    const checkpoints = page.locator('section', { hasText: 'Checkpoints' });
    expect(await checkpoints.locator('.badge.best').count()).toBe(1);
    // The best checkpoint's weights download through the API (a safetensors file: 8-byte header length, JSON header).
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      checkpoints
        .locator('tr.best-row')
        .getByRole('button', { name: /Download the weights/ })
        .click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^ftckpt-.*\.safetensors$/);
    const bytes = await readFile((await download.path())!);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
    expect(Object.keys(header).length).toBeGreaterThan(1);
    expect(await page.locator('#hp-h + table').textContent()).toContain('auto:');
    await page.mouse.move(0, 0);
    await snapshot('job');
  }, 300_000);

  it('uploads a 20 MB training file in parts through the Uploads API, showing progress, and validates it', async () => {
    await page.goto(`${dashboardUrl}#/jobs/new`);
    // ~20 MB of valid prompt/completion lines: past the 8 MB that POST /v1/files takes.
    const line = (i: number) =>
      JSON.stringify({
        prompt: `review ${i}: ${'a fine film, well acted '.repeat(6)}=>`,
        completion: ' positive',
      });
    const lines: string[] = [];
    let bytes = 0;
    for (let i = 0; bytes < 20 * 1024 * 1024; i++) {
      lines.push(line(i));
      bytes += lines.at(-1)!.length + 1;
    }
    const big = Buffer.from(lines.join('\n'));
    const partPuts: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => {
      if (r.method() === 'PUT' && r.url().includes('uploadId=')) partPuts.push(r.url());
    };
    page.on('request', onRequest);
    const created = page.waitForResponse(
      (r) => r.url().endsWith('/v1/uploads') && r.request().method() === 'POST',
    );
    await page.setInputFiles('#training-upload', {
      name: 'big.jsonl',
      mimeType: 'application/jsonl',
      buffer: big,
    });
    expect((await created).status()).toBe(200);
    const progress = page.locator('#training-progress');
    await progress.waitFor();
    expect(Number(await progress.getAttribute('max'))).toBe(big.length);
    const report = page.locator('#training-report');
    await expect.poll(() => report.textContent(), { timeout: 120_000 }).toContain('big.jsonl is valid');
    page.off('request', onRequest);
    // Every part went straight to the object store, in parallel requests of part_size bytes.
    expect(partPuts.length).toBeGreaterThanOrEqual(3);
    const files = (await listFiles({ client, query: { purpose: 'fine-tune', limit: 100 } })).data!.data;
    const file = files.find((f) => f.filename === 'big.jsonl')!;
    expect(file).toMatchObject({ bytes: big.length, status: 'processed' });
    expect(await page.locator('#training-select').inputValue()).toBe(file.id);
    await snapshot('new-job-upload');
  }, 180_000);

  it('redelivers a webhook: the delivery shows the failed and the successful attempt, and Redeliver sends it again', async () => {
    await until(
      'the delivery to succeed',
      async () => {
        const d = (await listWebhookDeliveries({ client, path: { endpoint_id: endpointId } })).data!.data[0];
        return d?.status === 'succeeded' && d;
      },
      30_000,
    );
    await page.goto(`${dashboardUrl}#/webhooks/${endpointId}`);
    const row = page.locator('tbody tr').first();
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('HTTP 503');
    expect(await row.textContent()).toContain('down for maintenance');
    expect(await row.textContent()).toContain('HTTP 200');
    const before = received.length;
    await row.getByRole('button', { name: /Redeliver/ }).click();
    await until('the redelivery', async () => received.length > before, 20_000);
    await expect
      .poll(() => row.locator('.attempts li').count(), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(3);
    await snapshot('webhook-endpoint');
    await page.goto(`${dashboardUrl}#/webhooks`);
    await page.locator('table').waitFor();
    await snapshot('webhooks');
  }, 60_000);

  it('cancels a running job with its button', async () => {
    const training = await upload('train.jsonl', TRAIN);
    const created = await createFineTuningJob({
      client,
      body: {
        model: 'tuneplane-tiny-char',
        training_file: training,
        provider: 'local',
        method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 50, batch_size: 2 } } },
      },
    });
    const id = created.data!.id;
    await page.goto(`${dashboardUrl}#/jobs/${id}`);
    await expect.poll(() => page.locator('h1 .badge').textContent(), { timeout: 60_000 }).toBe('running');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.locator('h1 .badge').textContent(), { timeout: 10_000 }).toBe('cancelled');
    expect((await retrieveFineTuningJob({ client, path: { fine_tuning_job_id: id } })).data!.status).toBe(
      'cancelled',
    );
    expect(await page.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
  }, 90_000);

  it("shows a sweep: its trials sortable, every trial's curve, best so far and the parallel coordinates", async () => {
    const training = await upload('train.jsonl', TRAIN);
    const validation = await upload('valid.jsonl', VALID);
    const sweep = (
      await createFineTuningSweep({
        client,
        body: {
          base_job: {
            model: 'tuneplane-tiny-char',
            training_file: training,
            validation_file: validation,
            provider: 'local',
            method: {
              type: 'supervised',
              supervised: {
                hyperparameters: {
                  n_epochs: 2,
                  batch_size: 8,
                  eval_interval_steps: 3,
                  checkpoint_interval_steps: 1000,
                  keep_checkpoints: 1,
                },
              },
            },
          },
          search_space: {
            learning_rate: { type: 'float', low: 1e-4, high: 3e-2, scale: 'log' },
            warmup_steps: { type: 'int', low: 0, high: 2 },
          },
          objective: { type: 'metric', metric: 'valid_loss', goal: 'minimize' },
          strategy: { type: 'random', seed: 3 },
          early_stopping: {
            type: 'asha',
            resource: 'epochs',
            min_resource: 1,
            max_resource: 2,
            reduction_factor: 2,
          },
          limits: { max_trials: 3, max_parallel_trials: 1 },
        },
      })
    ).data!;
    await page.goto(`${dashboardUrl}#/sweeps/${sweep.id}`);
    const done = await until(
      'the sweep to end',
      async () => {
        const s = (await retrieveFineTuningSweep({ client, path: { sweep_id: sweep.id } })).data!;
        return s.status !== 'running' && s;
      },
      240_000,
    );
    expect(done.status).toBe('succeeded');
    await expect.poll(() => page.locator('h1 .badge').textContent(), { timeout: 10_000 }).toBe('succeeded');
    const rows = page.locator('#trials tbody tr');
    expect(await rows.count()).toBe(3);
    // Pruned trials say where they stopped.
    for (const cell of await page.locator('#trials tbody tr.pruned td:nth-child(2)').all())
      expect(await cell.textContent()).toMatch(/pruned at step \d/);
    // Sorting by objective puts the best trial first.
    await page.getByRole('button', { name: /Objective/ }).click();
    expect(await rows.first().locator('td').first().textContent()).toBe(`#${done.best_trial!.trial_number}`);
    expect(await page.locator('th[aria-sort="ascending"]').textContent()).toContain('Objective');
    const curves = page.locator('figure.chart', { hasText: 'Learning curves' });
    expect(Number(await curves.getAttribute('data-points'))).toBeGreaterThan(0);
    expect(await curves.locator('.u-legend .u-series').count()).toBe(4); // x + one per trial
    expect(await page.locator('svg.parallel polyline').count()).toBe(3);
    await snapshot('sweep');
    await page.goto(`${dashboardUrl}#/sweeps`);
    await page.locator('table').waitFor();
    await snapshot('sweeps');
  }, 300_000);

  it('lists jobs with their status, and filters them', async () => {
    await page.goto(`${dashboardUrl}#/jobs`);
    const rows = page.locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    const jobs = (await listFineTuningJobs({ client, query: { limit: 100 } })).data!.data;
    await expect.poll(() => rows.count()).toBe(jobs.length);
    // Filters go to the API: the job cancelled with its button, and any pruned sweep trial (its job is cancelled).
    for (const status of ['cancelled', 'succeeded']) {
      const asked = page.waitForRequest(
        (r) => r.url().includes(`/v1/fine_tuning/jobs?`) && r.url().includes(`status=${status}`),
      );
      await page.selectOption('#f-status', status);
      await asked;
      await expect.poll(() => rows.count()).toBe(jobs.filter((j) => j.status === status).length);
      for (const r of await rows.all()) expect(await r.locator('.badge').textContent()).toBe(status);
    }
    await page.selectOption('#f-status', '');
    await page.selectOption('#f-provider', 'openai');
    await expect.poll(() => page.locator('.empty').textContent()).toBe('No job matches the filters.');
    await page.selectOption('#f-provider', '');
    await expect.poll(() => rows.count()).toBe(jobs.length);
    await snapshot('jobs');
    expect(pageErrors).toEqual([]);
  });

  it('playground: the tuned model, a checkpoint and the base model stream their answers side by side; Stop aborts', async () => {
    // The inference end-to-end test's task: ten fixed question → answer chats the tuned model learns.
    const created = await createFineTuningJob({
      client,
      body: {
        model: CAPITALS_BASE,
        training_file: await upload('capitals.jsonl', capitalsJsonl()),
        provider: 'local',
        seed: 1,
        method: {
          type: 'supervised',
          supervised: {
            hyperparameters: CAPITALS_HYPERPARAMETERS,
          },
        },
      },
    });
    const job = await until(
      'the capitals job to succeed',
      async () => {
        const j = (await retrieveFineTuningJob({ client, path: { fine_tuning_job_id: created.data!.id } }))
          .data!;
        if (['failed', 'cancelled'].includes(j.status))
          throw new Error(`job ${j.status}: ${JSON.stringify(j.error)}`);
        return j.status === 'succeeded' && j;
      },
      300_000,
    );
    // From the job page, as a user gets there.
    await page.goto(`${dashboardUrl}#/jobs/${job.id}`);
    await page.getByRole('link', { name: 'Open in playground' }).click();
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
    const cps = (
      await listFineTuningJobCheckpoints({
        client,
        path: { fine_tuning_job_id: job.id },
        query: { limit: 20 },
      })
    ).data!.data;
    const earliest = [...cps].sort((a, b) => a.step_number - b.step_number)[0];
    const models = [job.fine_tuned_model!, earliest.fine_tuned_model_checkpoint, 'tuneplane-tiny-char'];
    for (const [i, m] of models.entries()) expect(await page.locator(`#pg-model-${i}`).inputValue()).toBe(m);

    const question = 'capital of Kenya?';
    await page.getByLabel('User message').fill(question);
    await page.getByLabel('Temperature').fill('0');
    await page.getByLabel('Max tokens').fill('24');
    await page.getByRole('button', { name: 'Send' }).click();
    const panels = page.locator('.pg-panel');
    for (let i = 0; i < 3; i++)
      await expect.poll(() => panels.nth(i).getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    // Each panel shows what the API answers that model without streaming (greedy, so the same text).
    for (const [i, model] of models.entries()) {
      const r = await createChatCompletion({
        client,
        body: {
          model,
          messages: [{ role: 'user', content: question }],
          temperature: 0,
          max_completion_tokens: 24,
        },
      });
      const expected = (r.data as { choices: { message: { content: string | null } }[] }).choices[0].message
        .content;
      expect(await page.locator(`#pg-answer-${i}`).textContent(), models[i]).toBe(expected ?? '');
    }
    expect((await page.locator('#pg-answer-0').textContent())?.trim()).toBe('Nairobi');
    expect((await page.locator('#pg-answer-2').textContent())?.trim()).not.toBe('Nairobi');
    // Streamed: the tuned model's answer arrived in several chunks (one per token here).
    expect(Number(await panels.nth(0).getAttribute('data-chunks'))).toBeGreaterThan(3);
    expect(await page.locator('#pg-stats-0').textContent()).toContain('finish: stop');
    await snapshot('playground');

    // Stop: with the network slowed to a trickle, the base model's long answer is cut off mid-stream.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: 400,
      uploadThroughput: -1,
    });
    await page.selectOption('#pg-model-0', 'tuneplane-tiny-char');
    await page.selectOption('#pg-model-1', '');
    await page.selectOption('#pg-model-2', '');
    await page.getByLabel('Temperature').fill('1');
    await page.getByLabel('Max tokens').fill('60');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => panels.nth(0).getAttribute('data-chunks'), { timeout: 30_000 }).not.toBe('0');
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => panels.nth(0).getAttribute('data-state'), { timeout: 10_000 }).toBe('stopped');
    expect(Number(await panels.nth(0).getAttribute('data-chunks'))).toBeLessThan(60);
    expect(await page.locator('#pg-stats-0').textContent()).toContain('stopped');
    expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(false);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await cdp.detach();
    expect(pageErrors).toEqual([]);
  }, 420_000);
});
