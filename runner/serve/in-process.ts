/**
 * The Inference port (functions/ports/inference.ts) served by an InferenceServer in this very
 * process: for a process that does nothing but generate (the inference Lambda, one request per
 * instance), where a worker behind IPC would only add a hop. The server's refusals become the
 * port's InferenceFailure; an aborted signal stops the generation at its next step.
 */
import { InferenceFailure, type Inference } from '../../functions/ports/inference';
import { ServeFailure } from './models';
import { failureOf, type InferenceServer } from './server';

export function inProcessInference(server: InferenceServer): Inference {
  return {
    async generate(job, onEvent, signal) {
      try {
        await server.run(job, onEvent, signal);
      } catch (err) {
        throw new InferenceFailure(err instanceof ServeFailure ? err.failure : failureOf(err));
      }
    },
  };
}
