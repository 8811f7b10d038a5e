/**
 * npm run train -- --model <HF folder | model config.json> --train <file> [--validation <file>]
 *                  --hyperparameters <json file> --out <folder> [--checkpoints <folder>] [--memory-budget <bytes>]
 *                  [--backend auto|gpu|webgpu|node|cpu]   (or TUNEPLANE_BACKEND)
 *
 * Prints one JSON object per line on stdout (metrics, messages, checkpoints, then a final `result`),
 * writes the trained model to --out in Hugging Face layout, and checkpoints to --checkpoints
 * (default <out>/checkpoints); run it again with the same arguments to resume after an interruption.
 *
 * Exit codes (RUNNER_EXIT, openapi/runner.ts): done 0; failed 1 (bad input or a bug: retrying will
 * not help); retryable 75, interrupted by SIGTERM/SIGINT after saving a checkpoint (retry to
 * resume); 2 for arguments the parser refuses.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { RUNNER_EXIT } from '../../openapi/runner';
import { BackendChoiceSchema, initBackend, type BackendChoice } from '../backend';
import { CheckpointManager, localStorage, onTerminate } from '../checkpoint';
import { UsageError } from '../errors';
import { savePretrained } from '../io';
import { jsonLinesSink } from '../train/sink';
import { runSession, type ModelSource } from '../train/session';

async function modelSource(arg: string): Promise<ModelSource> {
  const s = await stat(arg).catch(() => undefined);
  if (!s) throw new UsageError(`--model: ${arg} does not exist`);
  if (s.isDirectory()) return { folder: arg };
  const config = JSON.parse(await readFile(arg, 'utf8')) as Record<string, unknown>;
  // A tokenizer.json next to a bare config is used; otherwise a char tokenizer is built from the data.
  const dir = path.dirname(arg);
  const tokJson = await readFile(path.join(dir, 'tokenizer.json'), 'utf8').catch(() => undefined);
  const tokCfg = await readFile(path.join(dir, 'tokenizer_config.json'), 'utf8').catch(() => undefined);
  return {
    config,
    tokenizer: tokJson ? { json: JSON.parse(tokJson), config: tokCfg ? JSON.parse(tokCfg) : {} } : undefined,
  };
}

/** A data file, read as a stream by the session (never whole in memory). */
async function dataFile(file: string, option: string): Promise<{ path: string }> {
  const s = await stat(file).catch(() => undefined);
  if (!s?.isFile()) throw new UsageError(`${option}: ${file} is not a file`);
  return { path: file };
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('train')
    .requiredOption('--model <path>', 'Hugging Face model folder or a model config.json')
    .requiredOption(
      '--train <file>',
      'training data: JSONL (chat, prompt/completion, text/label) or plain text',
    )
    .option('--validation <file>', 'validation data, same format as --train')
    .option('--hyperparameters <file>', 'JSON file of hyperparameters (names as in the API; "auto" allowed)')
    .requiredOption('--out <folder>', 'where the trained model is written (HF layout)')
    .option('--checkpoints <folder>', 'checkpoint folder (default <out>/checkpoints)')
    .option('--memory-budget <bytes>', 'memory budget for batch_size "auto"', (v) => Number(v))
    .addOption(
      new Option('--backend <name>', 'tensorflow backend; auto picks the fastest available')
        .choices(BackendChoiceSchema.options)
        .env('TUNEPLANE_BACKEND')
        .default('auto'),
    )
    .exitOverride();
  const write = (line: string) => process.stdout.write(`${line}\n`);
  const sink = jsonLinesSink(write);
  let opts: Record<string, string | number | undefined>;
  try {
    opts = program.parse(argv, { from: 'user' }).opts();
  } catch (e) {
    return (e as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const stop = onTerminate();
  try {
    await initBackend({ prefer: opts.backend as BackendChoice, log: (l) => process.stderr.write(`${l}\n`) });
    const out = String(opts.out);
    const hyperparameters = opts.hyperparameters
      ? JSON.parse(await readFile(String(opts.hyperparameters), 'utf8'))
      : {};
    const checkpointer = new CheckpointManager(
      localStorage(String(opts.checkpoints ?? path.join(out, 'checkpoints'))),
      (hyperparameters as { keep_checkpoints?: number }).keep_checkpoints ?? 2,
    );
    const session = await runSession({
      model: await modelSource(String(opts.model)),
      train: await dataFile(String(opts.train), '--train'),
      validation: opts.validation ? await dataFile(String(opts.validation), '--validation') : undefined,
      hyperparameters,
      memoryBudgetBytes: opts.memoryBudget as number | undefined,
      checkpointer,
      sink,
      shouldStop: () => stop.requested,
    });
    const { result } = session;
    if (result.status === 'interrupted') {
      write(
        JSON.stringify({
          type: 'result',
          status: 'interrupted',
          step: result.steps,
          exit_code: RUNNER_EXIT.retryable,
        }),
      );
      return RUNNER_EXIT.retryable;
    }
    await savePretrained(out, session.model, session.tokenizer);
    write(
      JSON.stringify({
        type: 'result',
        status: result.status,
        steps: result.steps,
        total_steps: result.totalSteps,
        batch_size: result.batchSize,
        best_step: result.bestStep ?? null,
        metrics: result.last ?? null,
        out,
      }),
    );
    session.model.dispose();
    return RUNNER_EXIT.done;
  } catch (e) {
    const err = e as Error & { param?: string | null };
    write(JSON.stringify({ type: 'error', message: err.message, param: err.param ?? null }));
    return RUNNER_EXIT.failed;
  } finally {
    stop.release();
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('runner/cli/train.ts')) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
