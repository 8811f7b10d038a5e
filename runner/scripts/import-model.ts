/**
 * Imports a Hugging Face model folder for operators:
 *
 *   npx tsx runner/scripts/import-model.ts <folder> --to-folder <dir>
 *   npx tsx runner/scripts/import-model.ts <folder> --id <model id> --to-store
 *
 * First validates what the trainer will need: config.json parses as a supported GPT-2/Llama config,
 * model.safetensors (or its shards) holds every weight of that architecture with the right shape,
 * tokenizer.json loads, and the tokenizer fits the vocabulary. Then copies the folder (config.json
 * last) either to a local folder or to the blob store under models/<id>/ and registers a system
 * model record (the store/bucket come from the usual TUNEPLANE_* environment, parsed once here; on
 * the embedded stack, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from its data directory's stores.json).
 * Prints one JSON line with what was found; exit 1 with the reason when the folder is not usable.
 */
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { createDynamoStores } from '../../functions/adapters/dynamodb';
import { createAwsClients } from '../../functions/adapters/aws-clients';
import { S3BlobStore } from '../../functions/adapters/s3';
import { loadPretrained } from '../io';

export interface ImportReport {
  model_type: string;
  parameters: number;
  vocab_size: number;
  tokenizer_vocab_size: number;
  context_length: number;
  files: string[];
}

/** Loads the folder as the trainer would and reports it; throws with the reason when unusable. */
export async function validateModelFolder(dir: string): Promise<ImportReport> {
  const { model, tokenizer, config } = await loadPretrained(dir);
  try {
    if (model.initialized.length)
      throw new Error(
        `model.safetensors lacks weights: ${model.initialized.slice(0, 5).join(', ')}${model.initialized.length > 5 ? ', …' : ''}`,
      );
    if (tokenizer.vocabSize > model.vocabSize)
      throw new Error(`the tokenizer has ${tokenizer.vocabSize} tokens but vocab_size is ${model.vocabSize}`);
    const files = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
    return {
      model_type: config.model_type,
      parameters: [...model.weights.values()].reduce((s, v) => s + v.size, 0),
      vocab_size: model.vocabSize,
      tokenizer_vocab_size: tokenizer.vocabSize,
      context_length: model.contextLength,
      files,
    };
  } finally {
    model.dispose();
  }
}

/** config.json last: a reader that sees it can rely on the rest being there. */
const order = (files: string[]) =>
  [...files].sort((a, b) => Number(a === 'config.json') - Number(b === 'config.json'));

const StoreEnvSchema = z.object({
  TUNEPLANE_TABLE: z.string().min(1),
  TUNEPLANE_BUCKET: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  TUNEPLANE_DYNAMODB_ENDPOINT: z.url().optional(),
  TUNEPLANE_S3_ENDPOINT: z.url().optional(),
});

async function main(): Promise<number> {
  const program = new Command()
    .argument('<folder>', 'Hugging Face model folder')
    .option('--to-folder <dir>', 'copy into this folder')
    .option('--to-store', 'copy into the blob store under models/<id>/ and register a system model')
    .option('--id <id>', 'model id (default: the folder name)')
    .parse();
  const [dir] = program.args;
  const opts = program.opts<{ toFolder?: string; toStore?: boolean; id?: string }>();
  const id = opts.id ?? path.basename(path.resolve(dir));
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(id))
    throw new Error(`--id: '${id}' must be letters, digits, . _ : - (at most 128)`);
  const report = await validateModelFolder(dir);
  if (opts.toFolder) {
    await mkdir(opts.toFolder, { recursive: true });
    for (const f of order(report.files)) await copyFile(path.join(dir, f), path.join(opts.toFolder, f));
  }
  if (opts.toStore) {
    const env = StoreEnvSchema.parse(process.env);
    const clients = createAwsClients({
      region: env.AWS_REGION,
      dynamodbEndpoint: env.TUNEPLANE_DYNAMODB_ENDPOINT,
      s3Endpoint: env.TUNEPLANE_S3_ENDPOINT,
    });
    try {
      const blobs = new S3BlobStore(clients.s3, env.TUNEPLANE_BUCKET);
      for (const f of order(report.files))
        await blobs.put(
          `models/${id}/${f}`,
          await readFile(path.join(dir, f)),
          f.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        );
      await createDynamoStores(clients.doc, env.TUNEPLANE_TABLE).models.put({
        id,
        tenantId: 'system',
        createdAt: Math.floor(Date.now() / 1000),
        ownedBy: 'tuneplane',
        jobId: null,
        blobPrefix: `models/${id}/`,
      });
    } finally {
      clients.destroy();
    }
  }
  process.stdout.write(
    `${JSON.stringify({ id, ok: true, ...report, copied_to: [opts.toFolder, opts.toStore ? `models/${id}/` : undefined].filter(Boolean) })}\n`,
  );
  return 0;
}

if (process.argv[1]?.endsWith('import-model.ts')) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stdout.write(
        `${JSON.stringify({ ok: false, error: (e as Error).message, param: (e as { param?: string }).param ?? null })}\n`,
      );
      process.exit(1);
    },
  );
}
