/**
 * The whole loop on the embedded stack, as a user drives it: `npm start`, then through the
 * generated SDK — register a webhook receiver, upload a training file, create a `provider: local`
 * job on the built-in base model, watch it train (events with real metrics), receive the signed
 * `succeeded` webhook (the receiver fails its first attempts), download the fine-tuned model.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { createClient, type Client } from '../../../openapi/sdk/client';
import {
  createFile,
  createFineTuningJob,
  createWebhookEndpoint,
  listFineTuningJobEvents,
  listModelFiles,
  listModels,
  listWebhookDeliveries,
  retrieveFineTuningJob,
  retrieveModelFileContent,
} from '../../../openapi/sdk/sdk.gen';
import { loadAddon } from '../../../runner/native/addon';
import { jsonl, sentiment } from '../../api/data';
import { freePort, start, stop, type Running } from '../../support/npm-start';

interface Received {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

let stack: Running;
let client: Client;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      // An outage: the first two attempts fail.
      const status = received.length < 2 ? 500 : 200;
      received.push({ status, headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

  stack = await start({
    PORT: String(await freePort()),
    TUNEPLANE_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'tuneplane-e2e-')),
    TUNEPLANE_API_KEY: 'tp_e2e_test_key_0123456789',
    TUNEPLANE_WEBHOOKS_ALLOW_LOOPBACK: 'true',
    // 5 s and 5 min between the first attempts become 2.5 ms and 150 ms.
    TUNEPLANE_WEBHOOK_RETRY_SCALE: '0.0005',
    // The runner's own lines (its backend), logged with the job id.
    TUNEPLANE_RUNNER_LOGS: 'true',
  });
  client = createClient({
    baseUrl: stack.baseUrl.replace(/\/v1$/, ''),
    headers: { Authorization: `Bearer ${stack.apiKey}` },
  });
}, 90_000);

afterAll(async () => {
  if (stack) await stop(stack);
  await new Promise((r) => receiver?.close(r));
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${stack.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('a fine-tuning job on the embedded stack, end to end', () => {
  it('trains on the built-in base model, reports metrics, signs one success webhook, and serves the model', async () => {
    const models = (await listModels({ client })).data!;
    const base = models.data.find((m) => !m.id.startsWith('ft:'));
    expect(base, 'a built-in base model is registered').toBeDefined();

    const endpoint = (
      await createWebhookEndpoint({
        client,
        body: { url: receiverUrl, enabled_events: ['fine_tuning.job.succeeded'] },
      })
    ).data!;
    expect(endpoint.secret).toMatch(/^whsec_/);

    // The built-in base model reads characters and has a 128-token context: short prompts.
    const reviews = jsonl(
      sentiment(16).map(([text, label]) => ({
        prompt: `${text.slice(0, 60)} =>`,
        completion: label ? ' positive' : ' negative',
      })),
    );
    const file = (
      await createFile({
        client,
        body: {
          purpose: 'fine-tune',
          file: new File([reviews], 'reviews.jsonl', { type: 'application/jsonl' }),
        },
      })
    ).data!;
    expect(file.status).toBe('processed');

    const created = await createFineTuningJob({
      client,
      body: {
        model: base!.id,
        training_file: file.id,
        provider: 'local',
        seed: 3,
        method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 1, batch_size: 4 } } },
      },
    });
    expect(created.error).toBeUndefined();
    const jobId = created.data!.id;

    const done = await until(
      'the job to end',
      async () => {
        const job = (await retrieveFineTuningJob({ client, path: { fine_tuning_job_id: jobId } })).data!;
        return ['succeeded', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
      },
      240_000,
    );
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.fine_tuned_model).toBeTruthy();
    expect(done.trained_tokens).toBeGreaterThan(0);

    const events = (
      await listFineTuningJobEvents({ client, path: { fine_tuning_job_id: jobId }, query: { limit: 100 } })
    ).data!.data;
    const metrics = events.filter((e) => e.type === 'metrics');
    expect(metrics.length).toBeGreaterThan(0);
    for (const m of metrics) {
      const loss = (m.data as { train_loss?: number }).train_loss;
      expect(Number.isFinite(loss)).toBe(true);
      expect(loss).toBeGreaterThan(0);
    }
    expect(events.some((e) => e.message.includes('started'))).toBe(true);

    // It ran as the compiled runner bundle (not TypeScript through tsx), on the native kernels
    // where they are built: the bundle finds the addon beside runner/native's sources.
    const logged = stack
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, string>);
    const runner = logged.find((l) => l.message === 'local jobs run the runner bundle');
    expect(runner, 'the stack runs jobs from the runner bundle').toBeDefined();
    expect(runner!.bundle).toMatch(/runner\/dist\/job\.mjs$/);
    expect(runner!.how).toMatch(/^(built|reused)$/);
    const backend = logged.find(
      (l) =>
        l.message === 'runner output' && l.job_id === jobId && l.line.includes('tensorflow backend selected'),
    )?.line;
    expect(backend, 'the runner logged its backend').toBeDefined();
    if (loadAddon().ok) expect(backend).toContain('native kernels via');

    // The receiver was down for two attempts; the third is the one and only success.
    const ok = await until('a delivered webhook', async () => received.find((r) => r.status === 200), 30_000);
    const payload = new Webhook(endpoint.secret!).verify(ok.body, ok.headers as Record<string, string>) as {
      type: string;
      data: { id: string };
    };
    expect(payload).toMatchObject({ type: 'fine_tuning.job.succeeded', data: { id: jobId } });
    expect(received.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const deliveries = (await listWebhookDeliveries({ client, path: { endpoint_id: endpoint.id } })).data!
      .data;
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ status: 'succeeded', attempt_count: 3 });

    const files = (await listModelFiles({ client, path: { model: done.fine_tuned_model! } })).data!.data;
    expect(files.map((f) => f.filename)).toEqual(
      expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json']),
    );
    const weights = await retrieveModelFileContent({
      client,
      path: { model: done.fine_tuned_model!, filename: 'model.safetensors' },
    });
    const bytes = Buffer.from(await (weights.data as Blob).arrayBuffer());
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
      string,
      { dtype: string }
    >;
    expect(Object.keys(header).filter((k) => k !== '__metadata__').length).toBeGreaterThan(0);
    expect(bytes.length).toBe(files.find((f) => f.filename === 'model.safetensors')!.bytes);
  }, 300_000);
});
