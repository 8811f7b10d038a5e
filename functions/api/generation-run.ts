/**
 * One generation as the routes consume it: the port's callback turned into an async sequence of
 * events, a failure from the worker turned into the API's error, and an abort (the client went
 * away, or the route stopped reading) passed on to the worker so it stops decoding.
 */
import type { GenerationFailure, GenerationJob, GenerationStreamEvent } from '../../openapi/inference';
import { ApiError, type ErrorType } from '../errors';
import { InferenceFailure, type Inference } from '../ports/inference';

const TYPES: Record<number, ErrorType> = {
  400: 'invalid_request_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
};

export function apiErrorOf(failure: GenerationFailure): ApiError {
  return new ApiError(failure.message, {
    status: failure.status,
    type: TYPES[failure.status] ?? 'server_error',
    code: failure.code,
    param: failure.param,
  });
}

export class GenerationRun implements AsyncIterable<GenerationStreamEvent> {
  private readonly events: GenerationStreamEvent[] = [];
  private readonly controller = new AbortController();
  private wake: (() => void) | undefined;
  private ended = false;
  private failure: unknown;

  constructor(inference: Inference, job: GenerationJob, signal?: AbortSignal) {
    if (signal?.aborted) this.controller.abort();
    else signal?.addEventListener('abort', () => this.controller.abort(), { once: true });
    inference
      .generate(
        job,
        (e) => {
          this.events.push(e);
          this.wake?.();
        },
        this.controller.signal,
      )
      .then(
        () => undefined,
        (err: unknown) => {
          this.failure = err;
        },
      )
      .finally(() => {
        this.ended = true;
        this.wake?.();
      });
  }

  abort(): void {
    this.controller.abort();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<GenerationStreamEvent> {
    try {
      for (;;) {
        const next = this.events.shift();
        if (next) {
          yield next;
          continue;
        }
        if (this.ended) {
          if (this.failure instanceof InferenceFailure) throw apiErrorOf(this.failure.failure);
          if (this.failure) throw this.failure;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      // A consumer that stops early (a closed stream, an error) stops the generation too.
      if (!this.ended) this.controller.abort();
    }
  }
}
