#!/usr/bin/env node
/**
 * `tuneplane`: the command-line client (commander for parsing; the generated SDK for every call).
 * One module per command group: files.ts, jobs.ts, webhooks.ts, sweeps.ts; admin.ts (tenants and
 * keys) works on the table itself, not through the API.
 *
 *   TUNEPLANE_BASE_URL (default http://127.0.0.1:8787/v1) and TUNEPLANE_API_KEY, or --base-url / --api-key.
 */
import { Command } from 'commander';
import type { Client } from '../../openapi/sdk/client';
import { registerAdminCommands } from './admin';
import { CliError, connect } from './client';
import { registerEvalCommands } from './evals';
import { registerFileCommands } from './files';
import { registerChatCommand } from './chat';
import { registerJobCommands } from './jobs';
import { registerSweepCommands } from './sweeps';
import { registerWebhookCommands } from './webhooks';

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

  registerFileCommands(program, client);
  registerJobCommands(program, client);
  registerWebhookCommands(program, client);
  registerSweepCommands(program, client);
  registerChatCommand(program, client);
  registerEvalCommands(program, client);
  registerAdminCommands(program);
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
