/**
 * POST /v1/chat/completions and POST /v1/completions: the model name resolved for the tenant, the
 * request handed to the inference port, and its events shaped as OpenAI's objects — one JSON
 * response, or server-sent events ending in `data: [DONE]` when `stream` is true. A request the
 * worker refuses (context too long, model too large) is a 4xx before any byte of a stream is sent:
 * the stream only starts once the worker has accepted the job.
 */
import { randomBytes } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { GeneratedTokenLogprob, GenerationStreamEvent } from '../../../openapi/inference';
import { createChatCompletionRoute, createCompletionRoute } from '../../../openapi/routes/inference';
import { chatJob, completionJob, resolveModel } from '../../domain/inference';
import type { Inference } from '../../ports/inference';
import type { ApiContext } from '../context';
import type { ApiEnv } from '../env';
import { apiErrorOf, GenerationRun } from '../generation-run';

interface Meta {
  id: string;
  created: number;
  model: string;
  system_fingerprint: null;
}

type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };

const usageOf = (u: { promptTokens: number; completionTokens: number }): Usage => ({
  prompt_tokens: u.promptTokens,
  completion_tokens: u.completionTokens,
  total_tokens: u.promptTokens + u.completionTokens,
});

const bytesOf = (token: string) => [...Buffer.from(token, 'utf8')];

function chatLogprobs(lps: GeneratedTokenLogprob[]) {
  return lps.map((t) => ({
    token: t.token,
    logprob: t.logprob,
    bytes: bytesOf(t.token),
    top_logprobs: t.top.map((x) => ({ token: x.token, logprob: x.logprob, bytes: bytesOf(x.token) })),
  }));
}

/** OpenAI's legacy logprobs: parallel lists, offsets counted in characters from the prompt's start. */
class CompletionLogprobs {
  tokens: string[] = [];
  token_logprobs: number[] = [];
  top_logprobs: Record<string, number>[] = [];
  text_offset: number[] = [];
  constructor(private offset: number) {}
  add(lps: GeneratedTokenLogprob[]) {
    const out = {
      tokens: [] as string[],
      token_logprobs: [] as number[],
      top_logprobs: [] as Record<string, number>[],
      text_offset: [] as number[],
    };
    for (const t of lps) {
      out.tokens.push(t.token);
      out.token_logprobs.push(t.logprob);
      out.top_logprobs.push(Object.fromEntries(t.top.map((x) => [x.token, x.logprob])));
      out.text_offset.push(this.offset);
      this.offset += t.token.length;
    }
    this.tokens.push(...out.tokens);
    this.token_logprobs.push(...out.token_logprobs);
    this.top_logprobs.push(...out.top_logprobs);
    this.text_offset.push(...out.text_offset);
    return out;
  }
}

/** Starts the job and waits until the worker accepted it (its `start`), so a refusal is a plain 4xx. */
async function accepted(run: GenerationRun) {
  const events = run[Symbol.asyncIterator]();
  const first = await events.next();
  if (first.done || first.value.type !== 'start')
    throw apiErrorOf({
      status: 500,
      code: 'inference_failed',
      message: 'The inference worker ended the request before starting it.',
      param: null,
    });
  return events;
}

async function* rest(events: AsyncIterator<GenerationStreamEvent>) {
  for (;;) {
    const r = await events.next();
    if (r.done) return;
    yield r.value;
  }
}

/** Server-sent events of `chunks`, then `[DONE]`; a failure mid-stream is sent as an error event. */
function sse(c: Context, run: GenerationRun, chunks: AsyncIterable<unknown>) {
  return streamSSE(
    c,
    async (stream) => {
      stream.onAbort(() => run.abort());
      for await (const chunk of chunks) {
        if (stream.aborted) return;
        await stream.writeSSE({ data: JSON.stringify(chunk) });
      }
      await stream.writeSSE({ data: '[DONE]' });
    },
    async (err, stream) => {
      run.abort();
      const e = err as {
        message?: string;
        type?: string;
        code?: string;
        param?: string | null;
        status?: number;
      };
      const known = typeof e.status === 'number' && e.status < 500;
      await stream.writeSSE({
        data: JSON.stringify({
          error: {
            message: known ? e.message : 'The server had an error while generating.',
            type: known ? e.type : 'server_error',
            param: known ? (e.param ?? null) : null,
            code: known ? e.code : 'inference_failed',
          },
        }),
      });
    },
  );
}

export function registerInferenceRoutes(app: OpenAPIHono<ApiEnv>, ctx: ApiContext, inference: Inference) {
  const meta = (prefix: string, model: string): Meta => ({
    id: `${prefix}-${randomBytes(12).toString('base64url')}`,
    created: Math.floor(ctx.clock.nowMs() / 1000),
    model,
    system_fingerprint: null,
  });

  app.openapi(createChatCompletionRoute, async (c) => {
    const body = c.req.valid('json');
    const tenantId = c.get('tenantId');
    const job = chatJob(tenantId, await resolveModel(ctx.stores, tenantId, body.model), body);
    const run = new GenerationRun(inference, job, c.req.raw.signal);
    const events = await accepted(run);
    const m = meta('chatcmpl', body.model);
    const n = job.params.n;
    const withLogprobs = job.params.logprobs !== undefined;

    if (body.stream) {
      const includeUsage = body.stream_options?.include_usage === true;
      const chunk = (choices: unknown[], usage?: Usage) => ({
        ...m,
        object: 'chat.completion.chunk' as const,
        choices,
        ...(includeUsage ? { usage: usage ?? null } : {}),
      });
      async function* chunks() {
        for (let index = 0; index < n; index++)
          yield chunk([
            { index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
          ]);
        for await (const e of rest(events)) {
          if (e.type === 'delta')
            yield chunk([
              {
                index: e.index,
                delta: { content: e.text },
                logprobs: withLogprobs ? { content: chatLogprobs(e.logprobs ?? []), refusal: null } : null,
                finish_reason: null,
              },
            ]);
          else if (e.type === 'finish')
            yield chunk([{ index: e.index, delta: {}, logprobs: null, finish_reason: e.reason }]);
          else if (e.type === 'done' && includeUsage) yield chunk([], usageOf(e.usage));
        }
      }
      return sse(c, run, chunks()) as never;
    }

    const choices = Array.from({ length: n }, (_, index) => ({
      index,
      text: '',
      logprobs: [] as ReturnType<typeof chatLogprobs>,
      finish: 'length' as 'stop' | 'length',
    }));
    let usage: Usage | undefined;
    for await (const e of rest(events)) {
      if (e.type === 'delta') {
        choices[e.index].text += e.text;
        choices[e.index].logprobs.push(...chatLogprobs(e.logprobs ?? []));
      } else if (e.type === 'finish') choices[e.index].finish = e.reason;
      else if (e.type === 'done') usage = usageOf(e.usage);
    }
    return c.json(
      {
        ...m,
        object: 'chat.completion' as const,
        choices: choices.map((ch) => ({
          index: ch.index,
          message: { role: 'assistant' as const, content: ch.text, refusal: null },
          logprobs: withLogprobs ? { content: ch.logprobs, refusal: null } : null,
          finish_reason: ch.finish,
        })),
        usage: usage!,
      },
      200,
    );
  });

  app.openapi(createCompletionRoute, async (c) => {
    const body = c.req.valid('json');
    const tenantId = c.get('tenantId');
    const job = completionJob(tenantId, await resolveModel(ctx.stores, tenantId, body.model), body);
    const run = new GenerationRun(inference, job, c.req.raw.signal);
    const events = await accepted(run);
    const m = meta('cmpl', body.model);
    const n = job.params.n;
    const withLogprobs = job.params.logprobs !== undefined;
    const promptChars =
      job.input.kind === 'text' && typeof job.input.prompt === 'string' ? job.input.prompt.length : 0;
    const logprobs = Array.from({ length: n }, () => new CompletionLogprobs(promptChars));

    if (body.stream) {
      const includeUsage = body.stream_options?.include_usage === true;
      const chunk = (choices: unknown[], usage?: Usage) => ({
        ...m,
        object: 'text_completion' as const,
        choices,
        ...(includeUsage ? { usage: usage ?? null } : {}),
      });
      async function* chunks() {
        for await (const e of rest(events)) {
          if (e.type === 'delta')
            yield chunk([
              {
                index: e.index,
                text: e.text,
                logprobs: withLogprobs ? logprobs[e.index].add(e.logprobs ?? []) : null,
                finish_reason: null,
              },
            ]);
          else if (e.type === 'finish')
            yield chunk([{ index: e.index, text: '', logprobs: null, finish_reason: e.reason }]);
          else if (e.type === 'done' && includeUsage) yield chunk([], usageOf(e.usage));
        }
      }
      return sse(c, run, chunks()) as never;
    }

    const choices = Array.from({ length: n }, (_, index) => ({
      index,
      text: '',
      finish: 'length' as 'stop' | 'length',
    }));
    let usage: Usage | undefined;
    for await (const e of rest(events)) {
      if (e.type === 'delta') {
        choices[e.index].text += e.text;
        if (withLogprobs) logprobs[e.index].add(e.logprobs ?? []);
      } else if (e.type === 'finish') choices[e.index].finish = e.reason;
      else if (e.type === 'done') usage = usageOf(e.usage);
    }
    return c.json(
      {
        ...m,
        object: 'text_completion' as const,
        choices: choices.map((ch) => {
          const lp = logprobs[ch.index];
          return {
            index: ch.index,
            text: ch.text,
            logprobs: withLogprobs
              ? {
                  tokens: lp.tokens,
                  token_logprobs: lp.token_logprobs,
                  top_logprobs: lp.top_logprobs,
                  text_offset: lp.text_offset,
                }
              : null,
            finish_reason: ch.finish,
          };
        }),
        usage: usage!,
      },
      200,
    );
  });
}
