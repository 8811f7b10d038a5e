/**
 * The trainer's errors: the user's input is at fault (the training data, the settings, the model)
 * and a retry cannot help. They join the project's one tree (openapi/errors.ts) with stable codes,
 * and know nothing of HTTP or jobs: the job runner (runner/entry/failure.ts) turns them into a
 * failed job's `error`, the CLI into its `error` line (docs/ARCHITECTURE.md, "Errors").
 */
import { TuneplaneError } from '../openapi/errors';

/** Any error the trainer raises on purpose; anything else it throws is a bug or the machine's. */
export abstract class RunnerError extends TuneplaneError {}

/** A training or validation file the trainer cannot learn from; the message names the line. */
export class DataError extends RunnerError {
  constructor(
    message: string,
    readonly line: number | null,
    field: string | null,
    cause?: unknown,
  ) {
    super(line === null ? message : `line ${line}: ${message}`, {
      code: 'invalid_training_file',
      param: field,
      cause,
    });
  }

  /** The offending field of the example (`param`, under the name the data's errors always had). */
  get field(): string | null {
    return this.param;
  }
}

/** Hyperparameters or trainer settings that cannot work together (e.g. early stopping without validation data). */
export class ConfigError extends RunnerError {
  constructor(message: string, param: string | null, cause?: unknown) {
    super(message, { code: 'invalid_value', param, cause });
  }
}

/** What is wrong with a model folder: its config.json, its weights, its safetensors bytes or its tokenizer. */
export type ModelErrorCode =
  | 'invalid_model_folder'
  | 'invalid_model_config'
  | 'invalid_model_weights'
  | 'invalid_safetensors'
  | 'invalid_tokenizer'
  /** The model trains, but incremental decoding does not implement one of its architecture options yet. */
  | 'unsupported_for_decoding';

/** A model folder (or bare config) the trainer cannot load; `param` names the file or field. */
export class ModelError extends RunnerError {
  constructor(message: string, param: string, code: ModelErrorCode, cause?: unknown) {
    super(message, { code, param, cause });
  }
}

/** The command line asks for something that cannot be (a missing file, a bad option). */
export class UsageError extends RunnerError {
  constructor(message: string, param: string | null = null) {
    super(message, { code: 'invalid_usage', param });
  }
}
