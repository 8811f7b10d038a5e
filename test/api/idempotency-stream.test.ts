/**
 * Idempotency-Key on a streamed chat completion, over real HTTP (the embedded stack's server) with
 * the store in dynalite: the events reach the client as they are produced, not once the stream has
 * ended and been stored; a finished stream is replayed whole; a stream the client leaves early
 * frees the key. The generation engine is replaced by one the test releases token by token (the
 * engine itself is tested in inference.test.ts), so "while it still runs" is a fact, not a race.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inference } from '../../functions/ports/inference';
import { startApi, type ApiHarness } from './support';

const MODEL = 'tuneplane-idem-stream';

/** Each token after the first waits for a `release()` (released early, it does not wait) or an abort, which is counted. */
class GatedEngine implements Inference {
  private permits = 0;
  private waiting: (() => void) | undefined;
  aborted = 0;
  async generate(...[, onEvent, signal]: Parameters<Inference['generate']>): Promise<void> {
    onEvent({ type: 'start', promptTokens: 5 });
    for (let i = 0; i < 4; i++) {
      if (i > 0) await this.permit(signal);
      if (signal?.aborted) {
        this.aborted++;
        return;
      }
      onEvent({ type: 'delta', index: 0, text: `t${i} ` });
    }
    onEvent({ type: 'finish', index: 0, reason: 'stop' });
    onEvent({ type: 'done', usage: { promptTokens: 5, completionTokens: 4 } });
  }
  private async permit(signal?: AbortSignal): Promise<void> {
    while (this.permits === 0 && !signal?.aborted)
      await new Promise<void>((r) => {
        this.waiting = r;
        signal?.addEventListener('abort', () => r(), { once: true });
      });
    if (!signal?.aborted) this.permits--;
  }
  release(n = 1): void {
    this.permits += n;
    this.waiting?.();
  }
}

const engine = new GatedEngine();
let api: ApiHarness;
let server: { baseUrl: string; close(): Promise<void> };

beforeAll(async () => {
  api = await startApi({ inference: engine });
  await api.env.stores.models.put({
    id: MODEL,
    tenantId: 'system',
    createdAt: 1,
    ownedBy: 'tuneplane',
    blobPrefix: `models/${MODEL}/`,
  });
  server = await api.listen();
}, 60_000);
afterAll(async () => {
  engine.release();
  await server?.close();
  await api?.stop();
});

const body = JSON.stringify({
  model: MODEL,
  messages: [{ role: 'user', content: 'Say something.' }],
  stream: true,
});
const post = (key: string, signal?: AbortSignal) =>
  fetch(`${server.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${api.keyA}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body,
    signal,
  });

/** Reads until the text so far contains `until`. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, until: string, seen = '') {
  const decoder = new TextDecoder();
  let text = seen;
  while (!text.includes(until)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

describe('Idempotency-Key on a streamed chat completion', () => {
  it('streams at once, refuses the same key while it runs, and replays the finished stream', async () => {
    const res = await post('stream-1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    // The first token arrives while the generation waits for the test: nothing held it back.
    let text = await readUntil(reader, 't0 ');
    expect(text).toContain('t0 ');
    expect(text).not.toContain('[DONE]');

    const again = await post('stream-1');
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('idempotency_in_progress');

    engine.release(3);
    text = await readUntil(reader, '[DONE]', text);
    expect(text).toMatch(/t0 [\s\S]*t1 [\s\S]*t2 [\s\S]*t3 [\s\S]*data: \[DONE\]/);

    const replay = await post('stream-1');
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await replay.text()).toBe(text);

    // The replay is a stream the official client reads as it read the first.
    const client = new OpenAI({ apiKey: api.keyA, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: 'Say something.' }], stream: true },
      { headers: { 'Idempotency-Key': 'stream-1' } },
    );
    let content = '';
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
    expect(content).toBe('t0 t1 t2 t3 ');
  }, 60_000);

  it('frees the key when the client leaves mid-stream, so a retry generates again', async () => {
    const abort = new AbortController();
    const res = await post('stream-2', abort.signal);
    const reader = res.body!.getReader();
    await readUntil(reader, 't0 ');
    abort.abort();
    await reader.cancel().catch(() => {});
    // The server sees the disconnect, stops the generation and releases the key.
    let retry: Response | undefined;
    for (let i = 0; i < 100; i++) {
      retry = await post('stream-2');
      if (retry.status !== 409) break;
      await retry.text();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(retry!.status).toBe(200);
    expect(retry!.headers.get('idempotent-replayed')).toBeNull();
    const r2 = retry!.body!.getReader();
    let text = await readUntil(r2, 't0 ');
    engine.release(3);
    text = await readUntil(r2, '[DONE]', text);
    expect(text).toContain('t3 ');
    expect(engine.aborted).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
