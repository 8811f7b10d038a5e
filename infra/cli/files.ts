/** `tuneplane files …`: upload a training file (large ones through presigned multipart uploads), list. */
import type { Command } from 'commander';
import type { Client } from '../../openapi/sdk/client';
import { listFiles } from '../../openapi/sdk/sdk.gen';
import { unwrap } from './client';
import { print, table } from './output';
import { uploadFile } from './upload';

export function registerFileCommands(program: Command, client: () => Client): void {
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
}
