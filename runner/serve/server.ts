/**
 * Serving many generation requests in one process: models come from the LRU cache, requests wait in
 * one queue per tenant and are admitted round-robin across tenants (a tenant with many requests
 * cannot starve the others), and the admitted ones advance one decoding step each in turn, so every
 * stream makes progress. A request whose caller went away (its AbortSignal fired) stops at its next
 * step and its cache is released.
 */
import type { GenerationFailure, GenerationJob, GenerationStreamEvent } from '../../openapi/inference';
import { generate, type GenerationUsage } from '../generate';
import { ModelCache, ServeFailure, mib, type ServeBlobs } from './models';
import { prepare } from './prepare';

export interface ServerOptions {
  /** Bytes of model weights kept loaded. */
  modelBudgetBytes: number;
  /** Bytes one request's KV cache may take. */
  requestBudgetBytes: number;
  /** Requests decoding at the same time; the rest wait. */
  maxActive: number;
}

type Emit = (event: GenerationStreamEvent) => void;

interface Waiting {
  tenantId: string;
  start: () => Promise<Active>;
  signal?: AbortSignal;
  settle: (failure?: GenerationFailure) => void;
}

interface Active {
  steps: AsyncGenerator<import('../generate').GenerationEvent[], GenerationUsage>;
  emit: Emit;
  signal?: AbortSignal;
  settle: (failure?: GenerationFailure) => void;
  release: () => void;
}

export class InferenceServer {
  readonly models: ModelCache;
  private readonly queues = new Map<string, Waiting[]>();
  /** When each tenant was last admitted (a counter): the one served longest ago goes next. */
  private readonly lastServed = new Map<string, number>();
  private admitted = 0;
  private readonly active: Active[] = [];
  private looping = false;

  constructor(
    blobs: ServeBlobs,
    private readonly opts: ServerOptions,
  ) {
    this.models = new ModelCache(blobs, opts.modelBudgetBytes);
  }

  /** Runs one job to its end, sending its events to `emit`; resolves when done, rejects with a ServeFailure. */
  run(job: GenerationJob, emit: Emit, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (failure?: GenerationFailure) =>
        failure ? reject(new ServeFailure(failure)) : resolve();
      const start = async (): Promise<Active> => {
        const model = await this.models.acquire(job.model);
        try {
          const req = prepare(model, job);
          const cacheBytes = model.decoder.cacheBytes(req.n, req.prompt.length + req.maxTokens);
          if (cacheBytes > this.opts.requestBudgetBytes)
            throw new ServeFailure({
              status: 400,
              code: 'request_too_large',
              message: `n × (prompt + max tokens) needs a ${mib(cacheBytes)} cache; one request may use ${mib(this.opts.requestBudgetBytes)}. Ask for fewer choices or tokens.`,
              param: req.n > 1 ? 'n' : job.params.maxTokensParam,
            });
          emit({ type: 'start', promptTokens: req.prompt.length });
          const steps = generate({ decoder: model.decoder, tokenizer: model.tokenizer }, req);
          return { steps, emit, signal, settle, release: () => this.models.release(model) };
        } catch (err) {
          this.models.release(model);
          throw err;
        }
      };
      const queue = this.queues.get(job.tenantId) ?? [];
      queue.push({ tenantId: job.tenantId, start, signal, settle });
      this.queues.set(job.tenantId, queue);
      void this.loop();
    });
  }

  get waiting(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  get running(): number {
    return this.active.length;
  }

  /**
   * The next request: the oldest of the tenant admitted longest ago (a tenant never served first),
   * so a tenant with a backlog takes one turn in each round, however early it queued.
   */
  private nextWaiting(): Waiting | undefined {
    let pick: string | undefined;
    for (const [tenant, queue] of this.queues) {
      if (queue.length === 0) continue;
      if (pick === undefined || (this.lastServed.get(tenant) ?? 0) < (this.lastServed.get(pick) ?? 0))
        pick = tenant;
    }
    if (pick === undefined) return undefined;
    const queue = this.queues.get(pick)!;
    const w = queue.shift()!;
    if (queue.length === 0) this.queues.delete(pick);
    this.lastServed.set(pick, ++this.admitted);
    return w;
  }

  private async loop(): Promise<void> {
    if (this.looping) return;
    this.looping = true;
    try {
      while (this.active.length > 0 || this.waiting > 0) {
        while (this.active.length < this.opts.maxActive) {
          const w = this.nextWaiting();
          if (!w) break;
          if (w.signal?.aborted) {
            w.settle();
            continue;
          }
          try {
            this.active.push(await w.start());
          } catch (err) {
            w.settle(failureOf(err));
          }
        }
        for (const a of [...this.active]) await this.advance(a);
        // Let I/O in (new requests, cancellations, the transport draining what was sent).
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.looping = false;
    }
  }

  private async advance(a: Active): Promise<void> {
    const finish = (failure?: GenerationFailure) => {
      this.active.splice(this.active.indexOf(a), 1);
      a.release();
      a.settle(failure);
    };
    try {
      if (a.signal?.aborted) {
        await a.steps.return({ promptTokens: 0, completionTokens: 0 });
        return finish();
      }
      const r = await a.steps.next();
      if (r.done) {
        a.emit({ type: 'done', usage: r.value });
        return finish();
      }
      for (const e of r.value) {
        if (e.type === 'finish') a.emit(e);
        else
          a.emit({
            type: 'delta',
            index: e.index,
            text: e.text,
            ...(e.tokens.length || e.text
              ? {
                  logprobs: e.tokens.map((t) => ({
                    token: t.text,
                    logprob: t.logprob,
                    top: t.top.map((x) => ({ token: x.text, logprob: x.logprob })),
                  })),
                }
              : {}),
          });
      }
    } catch (err) {
      await a.steps.return({ promptTokens: 0, completionTokens: 0 }).catch(() => undefined);
      finish(failureOf(err));
    }
  }
}

export function failureOf(err: unknown): GenerationFailure {
  if (err instanceof ServeFailure) return err.failure;
  return { status: 500, code: 'inference_failed', message: 'The inference worker failed.', param: null };
}
