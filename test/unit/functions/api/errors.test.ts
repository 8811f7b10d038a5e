/**
 * The API's edge for errors: its own errors keep their status; other errors of the tree get theirs
 * from one table by code, and an unlisted code is a 500 that shows nothing of it.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { errorHandler } from '../../../../functions/api/errors';
import { ConfigError } from '../../../../functions/config';
import { LineTooLongError } from '../../../../functions/domain/files/lines';
import { NotFoundError } from '../../../../functions/errors';
import { TuneplaneError } from '../../../../openapi/errors';

function appThrowing(err: Error) {
  const logged: { message: string; detail?: Record<string, unknown> }[] = [];
  const app = new Hono();
  app.onError(
    errorHandler({
      error: (message, detail) => logged.push({ message, detail }),
      warn: (message, detail) => logged.push({ message, detail }),
      info: () => {},
    }),
  );
  app.get('/x', () => {
    throw err;
  });
  return { app, logged };
}

describe('errorHandler', () => {
  it('renders an ApiError with its own status, type, code and param', async () => {
    const { app } = appThrowing(new NotFoundError('file', 'file-1', 'file_id'));
    const res = await app.request('/x');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: {
        message: "No file found with id 'file-1'.",
        type: 'not_found_error',
        param: 'file_id',
        code: 'not_found',
      },
    });
  });

  it('maps another error of the tree by its code: a fault of the input is a 400 with its message', async () => {
    const { app, logged } = appThrowing(new LineTooLongError(3, 1024));
    const res = await app.request('/x');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message: 'line 3 is longer than 1024 bytes',
        type: 'invalid_request_error',
        param: null,
        code: 'line_too_long',
      },
    });
    expect(logged).toEqual([]);
  });

  it('answers an error of the tree whose code is not mapped with a 500 that leaks nothing, and logs it', async () => {
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x';
    const err = new ConfigError('the api Lambda', [{ variable: 'TUNEPLANE_TABLE', rule: secretArn }]);
    const { app, logged } = appThrowing(err);
    const res = await app.request('/x');
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({
      error: {
        message: 'The server had an error while processing your request.',
        type: 'server_error',
        param: null,
        code: 'internal_error',
      },
    });
    expect(body).not.toContain('TUNEPLANE_TABLE');
    expect(logged.map((l) => l.detail?.code)).toEqual(['invalid_environment']);
  });

  it('never maps a code inherited from Object.prototype', async () => {
    const { app } = appThrowing(new TuneplaneError('internal detail', { code: 'constructor' }));
    const res = await app.request('/x');
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('internal detail');
  });
});
