/**
 * Text generation, as the API (and the evals) ask for it: one job in, its events out, in order,
 * until `done`. The embedded stack's adapter runs it in a worker process (runner/entry/serve.ts);
 * any other implementation only has to honour this contract:
 *
 *  - `onEvent` gets `start` (prompt tokens known), then `delta`/`finish` events per choice, then
 *    `done` with the usage; the promise resolves after `done`;
 *  - a refused or failed job rejects with an `InferenceFailure` (status, code, message, param),
 *    before or after `start`;
 *  - when `signal` aborts (the client went away) the generation stops at its next step, its memory
 *    is released and the promise resolves without `done`.
 */
import type { GenerationFailure, GenerationJob, GenerationStreamEvent } from '../../openapi/inference';

export interface Inference {
  generate(
    job: GenerationJob,
    onEvent: (event: GenerationStreamEvent) => void,
    signal?: AbortSignal,
  ): Promise<void>;
}

export class InferenceFailure extends Error {
  constructor(readonly failure: GenerationFailure) {
    super(failure.message);
  }
}
