/** `tuneplane jobs …`: create (optionally following it), list, get, cancel, follow. */
import type { Command } from 'commander';
import type { Client } from '../../openapi/sdk/client';
import {
  cancelFineTuningJob,
  createFineTuningJob,
  listFineTuningJobs,
  retrieveFineTuningJob,
} from '../../openapi/sdk/sdk.gen';
import type { FineTuningJobCreate } from '../../openapi/sdk/types.gen';
import { intArg, jsonArg } from './args';
import { unwrap } from './client';
import { followJob } from './follow';
import { print, table } from './output';

export function registerJobCommands(program: Command, client: () => Client): void {
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
      const hp = o.hyperparameters ? await jsonArg('hyperparameters', o.hyperparameters) : undefined;
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
}
