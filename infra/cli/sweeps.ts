/**
 * `tuneplane sweeps …`: create (a sweep request from JSON, with the base job's files and model
 * settable by flags), list, get, cancel/pause/resume, trials, and follow: a live table of the
 * trials (parameters, objective, state) redrawn in place on a terminal, printed on each change
 * otherwise, until the sweep ends.
 */
import type { Command } from 'commander';
import { isTerminalSweepStatus } from '../../openapi/enums';
import type { Client } from '../../openapi/sdk/client';
import {
  cancelFineTuningSweep,
  createFineTuningSweep,
  listFineTuningSweepTrials,
  listFineTuningSweeps,
  pauseFineTuningSweep,
  resumeFineTuningSweep,
  retrieveFineTuningSweep,
} from '../../openapi/sdk/sdk.gen';
import type {
  FineTuningSweep,
  FineTuningSweepCreate,
  FineTuningSweepTrial,
} from '../../openapi/sdk/types.gen';
import { intArg, jsonArg } from './args';
import { unwrap } from './client';
import { print, textTable } from './output';

function fmt(v: unknown): string {
  if (typeof v === 'number')
    return Number.isInteger(v)
      ? String(v)
      : v
          .toPrecision(4)
          .replace(/\.?0+$/, '')
          .replace(/\.?0+e/, 'e');
  return String(v);
}

/** What the sweep optimises, in a column header's words: the metric, or the eval criterion's pass rate. */
export function objectiveName(o: FineTuningSweep['objective']): string {
  if (o.type !== 'eval') return o.metric;
  return `${o.testing_criteria ?? 'eval'} pass rate`;
}

/** The follow view: one header line for the sweep, one row per trial, the best trial marked with *. */
export function renderSweep(sweep: FineTuningSweep, trials: FineTuningSweepTrial[]): string {
  const c = sweep.trial_counts;
  const best = sweep.best_trial;
  const head =
    `${sweep.id}  ${sweep.status}${sweep.status_reason ? ` (${sweep.status_reason})` : ''}  ` +
    `trials ${c.total}/${sweep.limits.max_trials} · running ${c.running + c.pending} · complete ${c.complete} · pruned ${c.pruned} · failed ${c.failed + c.stale}  ` +
    `${sweep.objective.goal} ${objectiveName(sweep.objective)}` +
    (best ? `  best ${fmt(best.objective_value)} (trial ${best.trial_number})` : '');
  const names = Object.keys(sweep.search_space);
  const rows = trials.map((t) => {
    const last = t.reports.at(-1);
    const objective =
      t.objective_value !== null
        ? fmt(t.objective_value)
        : last
          ? `${fmt(last.value)} @${fmt(last.step)}`
          : '';
    return [
      `${best?.trial_number === t.number ? '*' : ' '}${t.number}`,
      t.state,
      ...names.map((n) => (t.parameters[n] === undefined ? '-' : fmt(t.parameters[n]))),
      objective,
      String(t.reports.length),
      t.id,
    ];
  });
  return `${head}\n${textTable(rows, ['#', 'state', ...names, objectiveName(sweep.objective), 'evals', 'job'])}`;
}

async function allTrials(client: Client, id: string): Promise<FineTuningSweepTrial[]> {
  const out: FineTuningSweepTrial[] = [];
  let after: string | undefined;
  for (;;) {
    const page = unwrap(
      await listFineTuningSweepTrials({ client, path: { sweep_id: id }, query: { limit: 100, after } }),
    );
    out.push(...page.data);
    if (!page.has_more || !page.last_id) return out;
    after = page.last_id;
  }
}

export interface FollowSweepOptions {
  intervalMs: number;
  out: NodeJS.WritableStream & { isTTY?: boolean };
  sleep?: (ms: number) => Promise<void>;
}

/** Polls the sweep and its trials until the sweep ends; returns its final status. */
export async function followSweep(client: Client, id: string, opts: FollowSweepOptions): Promise<string> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let shown = '';
  let lines = 0;
  for (;;) {
    const sweep = unwrap(await retrieveFineTuningSweep({ client, path: { sweep_id: id } }));
    const view = renderSweep(sweep, await allTrials(client, id));
    if (view !== shown) {
      // On a terminal, redraw in place (cursor up, clear to the end); elsewhere append each new state.
      if (opts.out.isTTY && lines > 0) opts.out.write(`\x1b[${lines}A\x1b[0J`);
      opts.out.write(`${view}\n${opts.out.isTTY ? '' : '\n'}`);
      shown = view;
      lines = view.split('\n').length;
    }
    if (isTerminalSweepStatus(sweep.status)) return sweep.status;
    await sleep(opts.intervalMs);
  }
}

export function registerSweepCommands(program: Command, client: () => Client): void {
  const sweeps = program.command('sweeps').description('Hyperparameter sweeps');
  sweeps
    .command('create')
    .description(
      'Start a sweep from a JSON request (base_job, search_space, objective, strategy, early_stopping, limits, …)',
    )
    .requiredOption('--config <json>', 'the sweep request as JSON, or @file.json')
    .option('--training-file <id>', 'sets base_job.training_file')
    .option('--validation-file <id>', 'sets base_job.validation_file')
    .option('--model <model>', 'sets base_job.model')
    .option('--follow', 'follow the sweep until it ends')
    .option('--interval <ms>', 'poll interval when following', intArg, 2000)
    .action(
      async (o: {
        config: string;
        trainingFile?: string;
        validationFile?: string;
        model?: string;
        follow?: boolean;
        interval: number;
      }) => {
        const body = (await jsonArg('config', o.config)) as unknown as FineTuningSweepCreate;
        body.base_job = {
          ...(body.base_job ?? {}),
          ...(o.trainingFile ? { training_file: o.trainingFile } : {}),
          ...(o.validationFile ? { validation_file: o.validationFile } : {}),
          ...(o.model ? { model: o.model } : {}),
        } as FineTuningSweepCreate['base_job'];
        const c = client();
        const sweep = unwrap(await createFineTuningSweep({ client: c, body }));
        if (!o.follow) return print(sweep);
        process.stdout.write(`Created ${sweep.id}\n`);
        const status = await followSweep(c, sweep.id, { intervalMs: o.interval, out: process.stdout });
        process.exitCode = status === 'succeeded' ? 0 : 1;
      },
    );
  sweeps
    .command('list')
    .option('--limit <n>', 'how many', intArg, 20)
    .option('--after <id>', 'cursor')
    .action(async (o: { limit: number; after?: string }) => {
      const page = unwrap(
        await listFineTuningSweeps({ client: client(), query: { limit: o.limit, after: o.after } }),
      );
      const rows = page.data.map((s) => [
        s.id,
        s.status,
        `${s.trial_counts.total}/${s.limits.max_trials}`,
        `${s.objective.goal} ${objectiveName(s.objective)}`,
        s.best_trial ? fmt(s.best_trial.objective_value) : '',
        String(s.created_at),
      ]);
      process.stdout.write(
        `${textTable(rows, ['id', 'status', 'trials', 'objective', 'best', 'created_at'])}\n`,
      );
    });
  sweeps
    .command('get <id>')
    .description('The sweep, with its best trial')
    .action(async (id: string) => {
      print(unwrap(await retrieveFineTuningSweep({ client: client(), path: { sweep_id: id } })));
    });
  sweeps
    .command('trials <id>')
    .description('The trials as a table')
    .action(async (id: string) => {
      const c = client();
      const sweep = unwrap(await retrieveFineTuningSweep({ client: c, path: { sweep_id: id } }));
      process.stdout.write(`${renderSweep(sweep, await allTrials(c, id))}\n`);
    });
  for (const [name, call] of [
    ['cancel', cancelFineTuningSweep],
    ['pause', pauseFineTuningSweep],
    ['resume', resumeFineTuningSweep],
  ] as const) {
    sweeps.command(`${name} <id>`).action(async (id: string) => {
      print(unwrap(await call({ client: client(), path: { sweep_id: id } })));
    });
  }
  sweeps
    .command('follow <id>')
    .description('A live table of the trials (parameters, objective, state) until the sweep ends')
    .option('--interval <ms>', 'poll interval', intArg, 2000)
    .action(async (id: string, o: { interval: number }) => {
      const status = await followSweep(client(), id, { intervalMs: o.interval, out: process.stdout });
      process.exitCode = status === 'succeeded' ? 0 : 1;
    });
}
