/**
 * The job runner's error edge: which errors fail the job (the user's fault, exit 0) and with what
 * `error`, and which are ours (the process exits 1 and the dispatcher records it).
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, UpstreamError } from '../../../../functions/errors';
import { ConfigError, DataError, ModelError } from '../../../../runner/errors';
import { jobFailure } from '../../../../runner/entry/failure';

describe('jobFailure', () => {
  it("gives the trainer's errors their stable code, field and message", () => {
    expect(jobFailure(new DataError('completion: Required', 2, 'completion'))).toEqual({
      code: 'invalid_training_file',
      message: 'line 2: completion: Required',
      param: 'completion',
    });
    expect(
      jobFailure(new ConfigError('early_stopping needs a validation file', 'hyperparameters.early_stopping')),
    ).toEqual({
      code: 'invalid_value',
      message: 'early_stopping needs a validation file',
      param: 'hyperparameters.early_stopping',
    });
    expect(
      jobFailure(
        new ModelError('Invalid safetensors file: short', 'model.safetensors', 'invalid_safetensors'),
      ),
    ).toEqual({
      code: 'invalid_safetensors',
      message: 'Invalid safetensors file: short',
      param: 'model.safetensors',
    });
  });

  it("fails the job for the service's client errors and range checks, not for its server errors or bugs", () => {
    expect(jobFailure(new NotFoundError('blob', 'files/x', 'training_file'))).toMatchObject({
      code: 'not_found',
      param: 'training_file',
    });
    expect(jobFailure(new ConflictError('changed'))).toMatchObject({ code: 'conflict', param: null });
    expect(jobFailure(new RangeError('metrics step must be a non-negative integer, got -1'))).toEqual({
      code: 'invalid_request',
      message: 'metrics step must be a non-negative integer, got -1',
      param: null,
    });
    expect(jobFailure(new UpstreamError('S3 unreachable'))).toBeUndefined();
    expect(jobFailure(new TypeError("Cannot read properties of undefined (reading 'ids')"))).toBeUndefined();
  });
});
