/**
 * A stand-in for OpenAI's files and fine-tuning endpoints on loopback (OpenAI's servers cannot
 * be reached from here), shaped like the real API so the real `openai` SDK drives it. Tests move
 * its jobs along and make it send signed webhooks, as OpenAI does.
 */
import { Hono } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export interface StandinFile {
  id: string;
  filename: string;
  purpose: string;
  bytes: Uint8Array;
}

export interface StandinFtJob {
  id: string;
  object: 'fine_tuning.job';
  model: string;
  created_at: number;
  finished_at: number | null;
  fine_tuned_model: string | null;
  organization_id: string;
  result_files: string[];
  status: string;
  training_file: string;
  validation_file: string | null;
  hyperparameters: Record<string, unknown>;
  method: Record<string, unknown>;
  trained_tokens: number | null;
  error: { code: string; message: string; param: string | null } | null;
  seed: number;
  estimated_finish: number | null;
  integrations: null;
  metadata: Record<string, string> | null;
  user_provided_suffix: string | null;
}

export interface OpenAiStandin {
  baseURL: string;
  webhookSecret: string;
  files: Map<string, StandinFile>;
  jobs: Map<string, StandinFtJob>;
  requests: { method: string; path: string; idempotencyKey: string | null }[];
  setJob(id: string, patch: Partial<StandinFtJob>): void;
  addEvent(id: string, e: { message: string; level?: string; type?: string; data?: unknown }): void;
  addCheckpoint(id: string, step: number, metrics: Record<string, number>): void;
  /** Chat completions answered so far (model and messages), in order. */
  chatRequests: { model: string; messages: { role: string; content: string }[] }[];
  /** Milliseconds each chat completion takes (0 by default). */
  chatDelayMs: number;
  /** How the stand-in answers a chat completion; by default it echoes the last message. */
  answer: (model: string, messages: { role: string; content: string }[]) => string;
  /** A webhook as OpenAI would send it, signed with `webhookSecret` (or another secret). */
  webhook(type: string, jobId: string, secret?: string): { body: string; headers: Record<string, string> };
  close(): Promise<void>;
}

const now = () => Math.floor(Date.now() / 1000);

export async function startOpenAiStandin(): Promise<OpenAiStandin> {
  const files = new Map<string, StandinFile>();
  const jobs = new Map<string, StandinFtJob>();
  const events = new Map<string, Record<string, unknown>[]>();
  const checkpoints = new Map<string, Record<string, unknown>[]>();
  const requests: OpenAiStandin['requests'] = [];
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const byIdempotencyKey = new Map<string, unknown>();

  const app = new Hono();
  app.use('*', async (c, next) => {
    requests.push({
      method: c.req.method,
      path: c.req.path,
      idempotencyKey: c.req.header('idempotency-key') ?? null,
    });
    if (!c.req.header('authorization')?.startsWith('Bearer ')) {
      return c.json(
        { error: { message: 'No API key', type: 'invalid_request_error', param: null, code: null } },
        401,
      );
    }
    await next();
  });
  const notFound = (c: { json: (b: unknown, s: 404) => Response }, id: string) =>
    c.json(
      { error: { message: `No such job: ${id}`, type: 'invalid_request_error', param: 'id', code: null } },
      404,
    );
  const list = (data: unknown[]) => ({ object: 'list', data, has_more: false });
  const replay = (key: string | undefined, make: () => unknown) => {
    if (key && byIdempotencyKey.has(key)) return byIdempotencyKey.get(key);
    const v = make();
    if (key) byIdempotencyKey.set(key, v);
    return v;
  };

  const chatRequests: OpenAiStandin['chatRequests'] = [];
  let answer: OpenAiStandin['answer'] = (_m, messages) => messages.at(-1)?.content ?? '';
  app.post('/v1/chat/completions', async (c) => {
    const body = (await c.req.json()) as { model: string; messages: { role: string; content: string }[] };
    chatRequests.push({ model: body.model, messages: body.messages });
    if (standin.chatDelayMs) await new Promise((r) => setTimeout(r, standin.chatDelayMs));
    const content = answer(body.model, body.messages);
    const prompt = body.messages.reduce((n, m) => n + Math.ceil(m.content.length / 4), 0);
    const completion = Math.ceil(content.length / 4);
    return c.json({
      id: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
      object: 'chat.completion',
      created: now(),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    });
  });

  app.post('/v1/files', async (c) => {
    const form = await c.req.parseBody();
    const file = form.file as File;
    const bytes = new Uint8Array(await file.arrayBuffer());
    const out = replay(c.req.header('idempotency-key'), () => {
      const id = `file-${randomUUID().replace(/-/g, '').slice(0, 24)}`;
      files.set(id, { id, filename: file.name, purpose: String(form.purpose), bytes });
      return {
        id,
        object: 'file',
        bytes: bytes.length,
        created_at: now(),
        filename: file.name,
        purpose: form.purpose,
        status: 'processed',
      };
    });
    return c.json(out as object);
  });

  app.post('/v1/fine_tuning/jobs', async (c) => {
    const body = (await c.req.json()) as Record<string, unknown>;
    if (!files.has(String(body.training_file))) {
      return c.json(
        {
          error: {
            message: 'invalid training_file',
            type: 'invalid_request_error',
            param: 'training_file',
            code: null,
          },
        },
        400,
      );
    }
    const out = replay(c.req.header('idempotency-key'), () => {
      const id = `ftjob-${randomUUID().replace(/-/g, '').slice(0, 24)}`;
      const method = (body.method ?? {}) as { supervised?: { hyperparameters?: Record<string, unknown> } };
      const job: StandinFtJob = {
        id,
        object: 'fine_tuning.job',
        model: String(body.model),
        created_at: now(),
        finished_at: null,
        fine_tuned_model: null,
        organization_id: 'org-standin',
        result_files: [],
        status: 'validating_files',
        training_file: String(body.training_file),
        validation_file: (body.validation_file as string) ?? null,
        hyperparameters: method.supervised?.hyperparameters ?? {},
        method: body.method as Record<string, unknown>,
        trained_tokens: null,
        error: null,
        seed: Number(body.seed ?? 0),
        estimated_finish: null,
        integrations: null,
        metadata: (body.metadata as Record<string, string>) ?? null,
        user_provided_suffix: (body.suffix as string) ?? null,
      };
      jobs.set(id, job);
      events.set(id, []);
      checkpoints.set(id, []);
      return job;
    });
    return c.json(out as object);
  });

  app.get('/v1/fine_tuning/jobs/:id', (c) => {
    const job = jobs.get(c.req.param('id'));
    return job ? c.json(job) : notFound(c, c.req.param('id'));
  });
  for (const [action, status] of [
    ['cancel', 'cancelled'],
    ['pause', 'paused'],
    ['resume', 'running'],
  ] as const) {
    app.post(`/v1/fine_tuning/jobs/:id/${action}`, (c) => {
      const job = jobs.get(c.req.param('id'));
      if (!job) return notFound(c, c.req.param('id'));
      job.status = status;
      return c.json(job);
    });
  }
  app.get('/v1/fine_tuning/jobs/:id/events', (c) => {
    const list_ = events.get(c.req.param('id'));
    return list_ ? c.json(list([...list_].reverse())) : notFound(c, c.req.param('id'));
  });
  app.get('/v1/fine_tuning/jobs/:id/checkpoints', (c) => {
    const list_ = checkpoints.get(c.req.param('id'));
    return list_ ? c.json(list([...list_].reverse())) : notFound(c, c.req.param('id'));
  });

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;

  const standin: OpenAiStandin = {
    chatDelayMs: 0,
    baseURL: `http://127.0.0.1:${port}/v1`,
    webhookSecret,
    files,
    jobs,
    requests,
    setJob(id, patch) {
      Object.assign(jobs.get(id)!, patch);
    },
    addEvent(id, e) {
      events.get(id)!.push({
        id: `ftevent-${randomUUID().replace(/-/g, '').slice(0, 24)}`,
        object: 'fine_tuning.job.event',
        created_at: now(),
        level: e.level ?? 'info',
        message: e.message,
        type: e.type ?? 'message',
        data: e.data ?? {},
      });
    },
    addCheckpoint(id, step, metrics) {
      const job = jobs.get(id)!;
      checkpoints.get(id)!.push({
        id: `ftckpt_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
        object: 'fine_tuning.job.checkpoint',
        created_at: now(),
        fine_tuned_model_checkpoint: `ft:${job.model}:org-standin::${id.slice(6, 14)}:ckpt-step-${step}`,
        fine_tuning_job_id: id,
        metrics,
        step_number: step,
      });
    },
    chatRequests,
    get answer() {
      return answer;
    },
    set answer(fn) {
      answer = fn;
    },
    webhook(type, jobId, secret = webhookSecret) {
      const id = `evt_${randomUUID().replace(/-/g, '')}`;
      const body = JSON.stringify({ id, object: 'event', type, created_at: now(), data: { id: jobId } });
      const ts = new Date();
      const signature = new Webhook(secret).sign(id, ts, body);
      return {
        body,
        headers: {
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)),
          'webhook-signature': signature,
          'content-type': 'application/json',
        },
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return standin;
}
