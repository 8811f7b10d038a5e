/**
 * Pretrains the built-in base model with our own trainer, reproducibly (fixed seed, fixed data,
 * deterministic sampling), and writes it in Hugging Face layout so the embedded stack can fine-tune
 * it with no download:
 *
 *   npx tsx runner/scripts/pretrain-base.ts [--out runner/base-models/tuneplane-tiny-char] [--epochs 3]
 *
 * Model: Llama-shaped (RMSNorm, RoPE, grouped-query attention, SwiGLU), 2 layers, hidden 64,
 * context 128, untied output head; a character tokenizer covering printable ASCII plus every
 * character of the corpus. Data: test/fixtures (tinyshakespeare subset, public domain; the
 * sentiment sentences of Kotzias et al., KDD 2015), as plain text.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { initBackend } from '../backend';
import { savePretrained } from '../io';
import { buildCharTokenizer } from '../tokenizer';
import { jsonLinesSink } from '../train/sink';
import { runSession } from '../train/session';

const root = path.resolve(import.meta.dirname, '../..');

export const BASE_CONFIG = {
  model_type: 'llama',
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 128,
  tie_word_embeddings: false,
  // Read by functions/domain/models/catalog.ts to resolve learning_rate "auto".
  tuneplane_default_learning_rate: 2e-3,
};

export const BASE_HYPERPARAMETERS = {
  n_epochs: 3,
  batch_size: 16,
  learning_rate: 3e-3,
  warmup_steps: 10,
  lr_scheduler: 'cosine',
  weight_decay: 0.1,
  max_sequence_length: 128,
  metrics_interval_steps: 10,
  eval_interval_steps: 50,
  seed: 1234,
};

export function corpus(): { train: string; validation: string } {
  const shakespeare = readFileSync(path.join(root, 'test/fixtures/tinyshakespeare/input-300k.txt'), 'utf8');
  const sentences = ['amazon_cells', 'imdb', 'yelp']
    .map((s) => readFileSync(path.join(root, `test/fixtures/sentiment/${s}_labelled.txt`), 'utf8'))
    .join('\n')
    .split('\n')
    .map((l) => l.split('\t')[0].trim())
    .filter(Boolean)
    .join('\n');
  const cut = Math.floor(shakespeare.length * 0.95);
  return {
    train: `${shakespeare.slice(0, cut)}\n${sentences.slice(0, -20_000)}`,
    validation: `${shakespeare.slice(cut)}\n${sentences.slice(-20_000)}`,
  };
}

async function main() {
  const opts = new Command()
    .option('--out <folder>', 'output folder', path.join(root, 'runner/base-models/tuneplane-tiny-char'))
    .option('--epochs <n>', 'epochs', (v) => Number(v), 3)
    .parse()
    .opts<{ out: string; epochs: number }>();
  const backend = await initBackend();
  const { train, validation } = corpus();
  const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('') + '\n\t';
  const tok = buildCharTokenizer([printable, train, validation]);
  const files = tok.files();
  const t0 = performance.now();
  const sink = jsonLinesSink((l) => process.stdout.write(`${l}\n`));
  const session = await runSession({
    model: {
      config: { ...BASE_CONFIG, vocab_size: tok.vocabSize },
      tokenizer: { json: files['tokenizer.json'], config: files['tokenizer_config.json'] },
    },
    train,
    validation,
    hyperparameters: { ...BASE_HYPERPARAMETERS, n_epochs: opts.epochs },
    sink,
  });
  await savePretrained(opts.out, session.model, session.tokenizer);
  const summary = {
    backend: backend.description,
    steps: session.result.steps,
    seconds: Math.round((performance.now() - t0) / 1000),
    final: session.result.last,
    parameters: [...session.model.weights.values()].reduce((s, v) => s + v.size, 0),
    vocab_size: tok.vocabSize,
  };
  await writeFile(
    path.join(opts.out, 'training_summary.json'),
    JSON.stringify(
      {
        ...summary,
        config: BASE_CONFIG,
        hyperparameters: { ...BASE_HYPERPARAMETERS, n_epochs: opts.epochs },
      },
      null,
      2,
    ),
  );
  process.stdout.write(`${JSON.stringify({ type: 'done', ...summary })}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
