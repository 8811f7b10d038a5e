/**
 * The Lambda Runtime API on loopback, and a function run against it the way Lambda runs a
 * container image: the image's entry point (the Runtime Interface Client, `aws-lambda-ric`) as a
 * child process on the image's /var/task layout (infra/aws/inference-image.ts), polling
 *
 *   GET  /2018-06-01/runtime/invocation/next             one event per invocation (long poll)
 *   POST /2018-06-01/runtime/invocation/{id}/response    the result; in streaming mode
 *        (Lambda-Runtime-Function-Response-Mode: streaming) a chunked body relayed as it arrives,
 *        with errors in the Lambda-Runtime-Function-Error-Type/-Body trailers
 *   POST /2018-06-01/runtime/invocation/{id}/error       a failed invocation
 *   POST /2018-06-01/runtime/init/error                  a failed init
 *
 * `invoke` is a handler for the Function URL stand-in (test/support/function-url.ts): each request
 * becomes an invocation, and what the function streams back is written to the URL's response
 * stream, the metadata prelude included, as the service relays it. When the client goes away, the
 * response connection is closed on the function, as the service does. The control plane is the
 * only part faked here; the runtime client, the handler and the native kernels are the image's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import type { StreamingHandler } from './function-url';

const PREFIX = '/2018-06-01/runtime';

interface Pending {
  id: string;
  event: object;
  deadlineMs: number;
  stream: Writable;
  /** The client went away before the function finished its response. */
  gone: boolean;
  response?: IncomingMessage;
  done(err?: Error): void;
}

export interface RuntimeError {
  requestId?: string;
  errorType: string;
  body: string;
}

export interface LambdaRuntime {
  /** Handler for startFunctionUrl: one invocation of the function per call. */
  invoke: StreamingHandler;
  /** Everything the function wrote to stdout and stderr (its logs), so far. */
  logs(): string;
  /** Errors the function reported: invocation errors, init errors, streamed errors (trailers). */
  errors: RuntimeError[];
  /** Whether the function's process has ended (Lambda would have replaced the instance). */
  exited(): boolean;
  /** Stops the function (SIGTERM, as Lambda ends an instance) and the API. */
  stop(): Promise<void>;
}

export interface StartRuntimeOptions {
  /** The entry point: node_modules/aws-lambda-ric/index.mjs of a laid-out image. */
  ric: string;
  /** LAMBDA_TASK_ROOT. */
  taskRoot: string;
  /** The function's environment (what the stack sets), on top of what Lambda sets. */
  env: Record<string, string>;
  memoryMb?: number;
  /** Resolves when the function has polled for its first event (its init is over). */
  waitForInit?: boolean;
}

export async function startLambdaRuntime(opts: StartRuntimeOptions): Promise<LambdaRuntime> {
  const queue: Pending[] = [];
  const byId = new Map<string, Pending>();
  const polls: ServerResponse[] = [];
  const errors: RuntimeError[] = [];
  let output = '';
  let polled: () => void = () => undefined;
  const firstPoll = new Promise<void>((resolve) => (polled = resolve));

  const deliver = () => {
    while (queue.length && polls.length) {
      const inv = queue.shift()!;
      polls
        .shift()!
        .writeHead(200, {
          'content-type': 'application/json',
          'lambda-runtime-aws-request-id': inv.id,
          'lambda-runtime-deadline-ms': String(inv.deadlineMs),
          'lambda-runtime-invoked-function-arn': 'arn:aws:lambda:us-east-1:123456789012:function:inference',
        })
        .end(JSON.stringify(inv.event));
    }
  };

  // No time limits on connections, like the Runtime API's own server: the RIC opens an
  // invocation's response request when the invocation starts and sends its headers with the first
  // byte the function writes, which may be a model load away, and it may then last the function's
  // whole timeout. Node's defaults would close that connection after 5 s idle (keep-alive), 60 s
  // without headers or 300 s in all, and the response would be lost.
  const server = createServer({ requestTimeout: 0, headersTimeout: 0, keepAliveTimeout: 0 }, (req, res) => {
    const url = req.url ?? '';
    if (req.method === 'GET' && url === `${PREFIX}/invocation/next`) {
      polled();
      polls.push(res);
      // The poll's connection went away before an event was sent (the request's own 'close' only
      // says the GET was read).
      res.on('close', () => {
        const at = polls.indexOf(res);
        if (at >= 0) polls.splice(at, 1);
      });
      deliver();
      return;
    }
    const m = /^\/2018-06-01\/runtime\/(?:invocation\/([^/]+)\/(response|error)|init\/error)$/.exec(url);
    if (req.method !== 'POST' || !m) {
      res.writeHead(404).end();
      return;
    }
    const [, rawId, kind] = m;
    const inv = rawId ? byId.get(decodeURIComponent(rawId)) : undefined;
    if (rawId && !inv) {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"errorType":"InvalidRequestID"}');
      return;
    }
    const accepted = () => {
      if (!res.headersSent) res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"OK"}');
    };
    if (kind === 'response' && req.headers['lambda-runtime-function-response-mode'] === 'streaming') {
      inv!.response = req;
      if (inv!.gone) req.destroy();
      req.on('data', (chunk: Buffer) => {
        if (!inv!.gone) inv!.stream.write(chunk);
      });
      req.on('end', () => {
        const type = req.trailers['lambda-runtime-function-error-type'];
        if (type) {
          const body = Buffer.from(req.trailers['lambda-runtime-function-error-body'] ?? '', 'base64');
          errors.push({ requestId: inv!.id, errorType: type, body: body.toString('utf8') });
        }
        accepted();
        inv!.done();
      });
      req.on('close', () => inv!.done(req.complete ? undefined : new Error('response stream closed')));
      return;
    }
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const text = Buffer.concat(body).toString('utf8');
      accepted();
      if (kind === 'response') {
        // A buffered result: the Function URL turns {statusCode, headers, body} into the answer.
        const result = JSON.parse(text) as { statusCode?: number; headers?: object; body?: string };
        inv!.stream.write(JSON.stringify({ statusCode: result.statusCode, headers: result.headers }));
        inv!.stream.write(Buffer.alloc(8));
        inv!.stream.end(result.body ?? '');
        inv!.done();
        return;
      }
      const errorType = String(req.headers['lambda-runtime-function-error-type'] ?? 'Unknown');
      errors.push({ requestId: inv?.id, errorType, body: text });
      inv?.done(new Error(`function error ${errorType}: ${text}`));
      if (!inv) for (const waiting of byId.values()) waiting.done(new Error(`init error ${errorType}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const child: ChildProcess = spawn(process.execPath, [opts.ric], {
    cwd: opts.taskRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // What Lambda sets for every function.
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
      LAMBDA_TASK_ROOT: opts.taskRoot,
      _HANDLER: 'index.handler',
      AWS_LAMBDA_FUNCTION_NAME: 'inference',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(opts.memoryMb ?? 4096),
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/inference',
      AWS_LAMBDA_LOG_STREAM_NAME: `local/${randomUUID()}`,
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      // The stack's environment for this function (NODE_OPTIONS included), then the image's ENV.
      ...opts.env,
      OPENBLAS_NUM_THREADS: '1',
    },
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exit: string | undefined;
  child.once('exit', (code, signal) => {
    // Lambda would replace the instance; here the invocations fail, and so does every later one.
    exit = `the function exited (${code ?? signal}):\n${output.slice(-2000)}`;
    for (const inv of byId.values()) inv.done(new Error(exit));
  });

  if (opts.waitForInit ?? true)
    await Promise.race([
      firstPoll,
      exited.then(() => {
        throw new Error(`the function exited during init:\n${output.slice(-3000)}`);
      }),
    ]);

  const invoke: StreamingHandler = (event, stream, context) =>
    new Promise<void>((resolve, reject) => {
      if (exit) return reject(new Error(exit));
      const remaining = (context as { getRemainingTimeInMillis(): number }).getRemainingTimeInMillis();
      const inv: Pending = {
        id: randomUUID(),
        event,
        deadlineMs: Date.now() + remaining,
        stream,
        gone: false,
        done: (err) => {
          if (!byId.delete(inv.id)) return;
          if (err && !inv.gone) reject(err);
          else {
            if (!stream.writableEnded && !stream.destroyed) stream.end();
            resolve();
          }
        },
      };
      stream.once('close', () => {
        if (!byId.has(inv.id)) return;
        inv.gone = true;
        inv.response?.destroy();
      });
      // Lambda ends an invocation at its deadline, whatever the function is doing.
      const timer = setTimeout(() => inv.done(new Error('Task timed out')), remaining + 1_000);
      const settle = inv.done;
      inv.done = (err) => {
        clearTimeout(timer);
        settle(err);
      };
      byId.set(inv.id, inv);
      queue.push(inv);
      deliver();
    });

  return {
    invoke,
    logs: () => output,
    errors,
    exited: () => exit !== undefined,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      for (const res of polls) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
