#!/usr/bin/env node
/**
 * `tuneplane`: the command-line client (commander for parsing; the generated SDK for every call).
 *
 *   TUNEPLANE_BASE_URL (default http://127.0.0.1:8787/v1) and TUNEPLANE_API_KEY, or --base-url / --api-key.
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import type { Client } from '../../openapi/sdk/client';
import {
  cancelFineTuningJob,
  createFineTuningJob,
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  disableWebhookEndpoint,
  listFiles,
  listFineTuningJobs,
  listWebhookDeliveries,
  listWebhookEndpoints,
  redeliverWebhook,
  retrieveFineTuningJob,
  rotateWebhookEndpointSecret,
  updateWebhookEndpoint,
} from '../../openapi/sdk/sdk.gen';
import type { FineTuningJobCreate, WebhookEventType } from '../../openapi/sdk/types.gen';
import { CliError, connect, unwrap } from './client';
import { followJob } from './follow';
import { registerSweepCommands } from './sweeps';
import { uploadFile } from './upload';

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function table(rows: Record<string, unknown>[], columns: string[]): void {
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${line(columns)}\n${cells.map(line).join('\n')}${cells.length ? '\n' : ''}`);
}

function intArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}

/** `--hyperparameters '{"n_epochs":3}'` or `--hyperparameters @hp.json`. */
async function jsonArg(v: string | undefined): Promise<Record<string, unknown> | undefined> {
  if (!v) return undefined;
  const text = v.startsWith('@') ? await readFile(v.slice(1), 'utf8') : v;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`--hyperparameters is not valid JSON: ${(err as Error).message}`);
  }
}

export function buildProgram(): Command {
  const program = new Command('tuneplane')
    .description('Tuneplane: fine-tuning jobs, files and webhooks from the command line')
    .option('--base-url <url>', 'API base URL', process.env.TUNEPLANE_BASE_URL ?? 'http://127.0.0.1:8787/v1')
    .option('--api-key <key>', 'API key (default: $TUNEPLANE_API_KEY)', process.env.TUNEPLANE_API_KEY)
    .showHelpAfterError();

  const client = (): Client => {
    const { baseUrl, apiKey } = program.opts<{ baseUrl: string; apiKey?: string }>();
    if (!apiKey) throw new CliError('No API key: pass --api-key or set TUNEPLANE_API_KEY.');
    return connect({ baseUrl, apiKey });
  };

  const files = program.command('files').description('Training files');
  files
    .command('upload <path>')
    .description('Upload a JSONL training file (large files go through presigned multipart uploads)')
    .option('--purpose <purpose>', 'file purpose', 'fine-tune')
    .action(async (path: string, o: { purpose: 'fine-tune' }) => {
      const file = await uploadFile(client(), path, o.purpose, (done, total) =>
        process.stderr.write(`uploaded part ${done}/${total}\n`),
      );
      print(file);
    });
  files.command('list').action(async () => {
    const page = unwrap(await listFiles({ client: client() }));
    table(page.data as unknown as Record<string, unknown>[], [
      'id',
      'filename',
      'bytes',
      'status',
      'created_at',
    ]);
  });

  const jobs = program.command('jobs').description('Fine-tuning jobs');
  jobs
    .command('create')
    .description('Create a fine-tuning job')
    .requiredOption('--training-file <id>', 'training file id')
    .option('--validation-file <id>', 'validation file id')
    .option('--model <model>', 'base model', 'tuneplane-tiny-char')
    .option('--provider <provider>', 'local | batch | openai')
    .option('--hyperparameters <json>', 'JSON object, or @file.json')
    .option('--suffix <suffix>', 'suffix of the fine-tuned model name')
    .option('--seed <n>', 'random seed', intArg)
    .option('--follow', 'follow the job until it ends')
    .action(async (o) => {
      const hp = await jsonArg(o.hyperparameters);
      const body: FineTuningJobCreate = {
        model: o.model,
        training_file: o.trainingFile,
        ...(o.validationFile ? { validation_file: o.validationFile } : {}),
        ...(o.provider ? { provider: o.provider } : {}),
        ...(o.suffix ? { suffix: o.suffix } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        ...(hp ? { method: { type: 'supervised', supervised: { hyperparameters: hp } } } : {}),
      };
      const c = client();
      const job = unwrap(await createFineTuningJob({ client: c, body }));
      if (!o.follow) return print(job);
      process.stdout.write(`Created ${job.id}\n`);
      const status = await followJob(c, job.id, { intervalMs: 1000, out: process.stdout });
      process.exitCode = status === 'succeeded' ? 0 : 1;
    });
  jobs
    .command('list')
    .option('--limit <n>', 'how many', intArg, 20)
    .option('--after <id>', 'cursor')
    .action(async (o: { limit: number; after?: string }) => {
      const page = unwrap(
        await listFineTuningJobs({ client: client(), query: { limit: o.limit, after: o.after } }),
      );
      table(
        page.data.map((j) => ({
          ...j,
          step: j.progress ? `${j.progress.step}/${j.progress.total_steps}` : '',
        })),
        ['id', 'status', 'model', 'provider', 'step', 'fine_tuned_model', 'created_at'],
      );
    });
  jobs.command('get <id>').action(async (id: string) => {
    print(unwrap(await retrieveFineTuningJob({ client: client(), path: { fine_tuning_job_id: id } })));
  });
  jobs.command('cancel <id>').action(async (id: string) => {
    print(unwrap(await cancelFineTuningJob({ client: client(), path: { fine_tuning_job_id: id } })));
  });
  jobs
    .command('follow <id>')
    .description('Show progress (step, epoch, loss, ETA) and events until the job ends')
    .option('--interval <ms>', 'poll interval', intArg, 1000)
    .action(async (id: string, o: { interval: number }) => {
      const status = await followJob(client(), id, { intervalMs: o.interval, out: process.stdout });
      process.exitCode = status === 'succeeded' ? 0 : 1;
    });

  const hooks = program.command('webhooks').description('Webhook endpoints');
  const events = (v?: string) => (v ? (v.split(',').map((s) => s.trim()) as WebhookEventType[]) : undefined);
  hooks
    .command('create')
    .requiredOption('--url <url>', 'receiver URL')
    .option('--events <types>', 'comma-separated event types (default: all)')
    .option('--description <text>')
    .action(async (o: { url: string; events?: string; description?: string }) => {
      print(
        unwrap(
          await createWebhookEndpoint({
            client: client(),
            body: { url: o.url, enabled_events: events(o.events), description: o.description ?? null },
          }),
        ),
      );
    });
  hooks.command('list').action(async () => {
    const page = unwrap(await listWebhookEndpoints({ client: client() }));
    table(page.data as unknown as Record<string, unknown>[], ['id', 'url', 'status', 'enabled_events']);
  });
  hooks
    .command('update <id>')
    .option('--url <url>')
    .option('--events <types>', 'comma-separated event types')
    .option('--description <text>')
    .action(async (id: string, o: { url?: string; events?: string; description?: string }) => {
      print(
        unwrap(
          await updateWebhookEndpoint({
            client: client(),
            path: { endpoint_id: id },
            body: { url: o.url, enabled_events: events(o.events), description: o.description },
          }),
        ),
      );
    });
  hooks
    .command('rotate <id>')
    .description('Rotate the signing secret (the old one keeps signing for a grace period)')
    .action(async (id: string) => {
      print(
        unwrap(await rotateWebhookEndpointSecret({ client: client(), path: { endpoint_id: id }, body: {} })),
      );
    });
  hooks.command('disable <id>').action(async (id: string) => {
    print(unwrap(await disableWebhookEndpoint({ client: client(), path: { endpoint_id: id } })));
  });
  hooks.command('delete <id>').action(async (id: string) => {
    print(unwrap(await deleteWebhookEndpoint({ client: client(), path: { endpoint_id: id } })));
  });
  hooks.command('deliveries <id>').action(async (id: string) => {
    const page = unwrap(await listWebhookDeliveries({ client: client(), path: { endpoint_id: id } }));
    const last = (d: (typeof page.data)[number]) => d.attempts.at(-1);
    table(
      page.data.map((d) => ({
        id: d.id,
        event: d.event.type,
        status: d.status,
        attempts: d.attempt_count,
        last_response: last(d)?.status_code ?? last(d)?.error ?? '',
        next_attempt_at: d.next_attempt_at ?? '',
      })),
      ['id', 'event', 'status', 'attempts', 'last_response', 'next_attempt_at'],
    );
  });
  hooks.command('redeliver <id> <deliveryId>').action(async (id: string, deliveryId: string) => {
    print(
      unwrap(
        await redeliverWebhook({ client: client(), path: { endpoint_id: id, delivery_id: deliveryId } }),
      ),
    );
  });
  registerSweepCommands(program, client, print);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}
