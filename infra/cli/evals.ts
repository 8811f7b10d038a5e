/**
 * `tuneplane evals …`: list, get, runs, and compare — the same eval run over several models (a
 * base model, `ft:…`, a job's kept checkpoints), one run each, waited for, then one table of pass
 * rates per testing criterion.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { TERMINAL_EVAL_RUN_STATUSES } from '../../openapi/enums';
import type { Client } from '../../openapi/sdk/client';
import {
  createEvalRun,
  getEval,
  getEvalRun,
  getEvalRuns,
  listEvals,
  listFineTuningJobCheckpoints,
  retrieveFineTuningJob,
} from '../../openapi/sdk/sdk.gen';
import type { EvalCompletionsRunDataSource, EvalRun } from '../../openapi/sdk/types.gen';
import { jsonArg } from './args';
import { CliError, unwrap } from './client';
import { print, textTable } from './output';

const isTerminalEvalRunStatus = (s: EvalRun['status']) => TERMINAL_EVAL_RUN_STATUSES.includes(s);

const pct = (passed: number, total: number) => (total ? `${((100 * passed) / total).toFixed(1)}%` : '-');

/** One row per run: the model, the overall pass rate, then each criterion's pass rate. */
export function renderComparison(runs: EvalRun[]): string {
  const criteria = [
    ...new Set(runs.flatMap((r) => r.per_testing_criteria_results.map((c) => c.testing_criteria))),
  ];
  const rows = runs.map((r) => {
    const c = r.result_counts;
    const byName = new Map(r.per_testing_criteria_results.map((p) => [p.testing_criteria, p]));
    return [
      r.model ?? '(given samples)',
      r.status,
      pct(c.passed, c.total),
      ...criteria.map((name) => {
        const p = byName.get(name);
        return p ? pct(p.passed, p.passed + p.failed) : '-';
      }),
      String(c.errored),
      r.id,
    ];
  });
  return textTable(rows, ['model', 'status', 'passed', ...criteria, 'errored', 'run']);
}

/** The models a job stands for: its base model, its fine-tuned model, each kept checkpoint. */
export async function jobModels(client: Client, jobId: string): Promise<string[]> {
  const job = unwrap(await retrieveFineTuningJob({ client, path: { fine_tuning_job_id: jobId } }));
  const out = [job.model];
  if (job.fine_tuned_model) out.push(job.fine_tuned_model);
  let after: string | undefined;
  for (;;) {
    const page = unwrap(
      await listFineTuningJobCheckpoints({
        client,
        path: { fine_tuning_job_id: jobId },
        query: { limit: 100, after },
      }),
    );
    // Oldest step first reads like the training went.
    out.push(
      ...[...page.data]
        .sort((a, b) => a.step_number - b.step_number)
        .map((c) => c.fine_tuned_model_checkpoint),
    );
    if (!page.has_more || !page.data.length) break;
    after = page.data.at(-1)!.id;
  }
  return [...new Set(out)];
}

export interface CompareOptions {
  evalId: string;
  models: string[];
  source: EvalCompletionsRunDataSource['source'];
  inputMessages: EvalCompletionsRunDataSource['input_messages'];
  samplingParams?: EvalCompletionsRunDataSource['sampling_params'];
  intervalMs: number;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (runs: EvalRun[]) => void;
}

/** Starts one run per model and waits until every run is final; the runs in the models' order. */
export async function compareModels(client: Client, o: CompareOptions): Promise<EvalRun[]> {
  const sleep = o.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let runs: EvalRun[] = [];
  for (const model of o.models)
    runs.push(
      unwrap(
        await createEvalRun({
          client,
          path: { eval_id: o.evalId },
          body: {
            name: `compare ${model}`,
            metadata: { compare: 'tuneplane evals compare' },
            data_source: {
              type: 'completions',
              model,
              source: o.source,
              input_messages: o.inputMessages,
              ...(o.samplingParams ? { sampling_params: o.samplingParams } : {}),
            },
          },
        }),
      ),
    );
  for (;;) {
    if (runs.every((r) => isTerminalEvalRunStatus(r.status))) return runs;
    await sleep(o.intervalMs);
    runs = await Promise.all(
      runs.map(async (r) =>
        isTerminalEvalRunStatus(r.status)
          ? r
          : unwrap(await getEvalRun({ client, path: { eval_id: o.evalId, run_id: r.id } })),
      ),
    );
    o.onProgress?.(runs);
  }
}

function numberArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('must be a number');
  return n;
}

export function registerEvalCommands(program: Command, client: () => Client): void {
  const evals = program.command('evals').description('Evals (OpenAI’s Evals API) and model comparisons');
  evals.command('list').action(async () => {
    const page = unwrap(await listEvals({ client: client(), query: { limit: 100 } }));
    process.stdout.write(
      `${textTable(
        page.data.map((e) => [e.id, e.name, e.testing_criteria.map((c) => c.name).join(', ')]),
        ['id', 'name', 'testing criteria'],
      )}\n`,
    );
  });
  evals.command('get <id>').action(async (id: string) => {
    print(unwrap(await getEval({ client: client(), path: { eval_id: id } })));
  });
  evals
    .command('runs <id>')
    .description("An eval's runs with their pass rates")
    .action(async (id: string) => {
      const page = unwrap(
        await getEvalRuns({ client: client(), path: { eval_id: id }, query: { limit: 100 } }),
      );
      process.stdout.write(`${renderComparison(page.data)}\n`);
    });
  evals
    .command('compare <evalId>')
    .description(
      'Run the eval over several models (one run each: sampled on the same rows) and print their pass rates side by side',
    )
    .option('--models <list>', 'comma-separated models (base models, ft:…, checkpoints)')
    .option('--job <id>', "adds the job's base model, its fine-tuned model and each kept checkpoint")
    .option('--file <id>', 'JSONL file of rows ({"item": {…}} a line)')
    .option('--rows <json>', 'rows inline: a JSON array of {"item": {…}}, or @rows.json')
    .requiredOption(
      '--input-messages <json>',
      'the prompt: a JSON array of messages with {{item.…}} templates (or @file.json), or item.<field> holding messages',
    )
    .option('--max-completion-tokens <n>', 'tokens sampled per row', numberArg)
    .option('--temperature <t>', 'sampling temperature', numberArg)
    .option('--seed <n>', 'sampling seed', numberArg)
    .option('--interval <ms>', 'poll interval', numberArg, 1000)
    .action(
      async (
        evalId: string,
        o: {
          models?: string;
          job?: string;
          file?: string;
          rows?: string;
          inputMessages: string;
          maxCompletionTokens?: number;
          temperature?: number;
          seed?: number;
          interval: number;
        },
      ) => {
        const c = client();
        const models = (o.models ?? '')
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean);
        if (o.job) models.push(...(await jobModels(c, o.job)));
        if (!models.length) throw new CliError('Name the models to compare: --models and/or --job.');
        if (!o.file === !o.rows) throw new CliError('Give the rows with exactly one of --file and --rows.');
        const source: CompareOptions['source'] = o.file
          ? { type: 'file_id', id: o.file }
          : {
              type: 'file_content',
              content: (await jsonArg('rows', o.rows!)) as unknown as { item: Record<string, unknown> }[],
            };
        const inputMessages: CompareOptions['inputMessages'] = /^item\.[\w.]+$/.test(o.inputMessages)
          ? { type: 'item_reference', item_reference: o.inputMessages }
          : {
              type: 'template',
              template: (await jsonArg('input-messages', o.inputMessages)) as unknown as Extract<
                CompareOptions['inputMessages'],
                { type: 'template' }
              >['template'],
            };
        const samplingParams =
          o.maxCompletionTokens !== undefined || o.temperature !== undefined || o.seed !== undefined
            ? {
                ...(o.maxCompletionTokens !== undefined
                  ? { max_completion_tokens: o.maxCompletionTokens }
                  : {}),
                ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
                ...(o.seed !== undefined ? { seed: o.seed } : {}),
              }
            : undefined;
        const runs = await compareModels(c, {
          evalId,
          models: [...new Set(models)],
          source,
          inputMessages,
          samplingParams,
          intervalMs: o.interval,
          onProgress: (rs) =>
            process.stderr.write(
              `${rs.filter((r) => isTerminalEvalRunStatus(r.status)).length}/${rs.length} runs done\n`,
            ),
        });
        process.stdout.write(`${renderComparison(runs)}\n`);
        process.exitCode = runs.every((r) => r.status === 'completed') ? 0 : 1;
      },
    );
}
