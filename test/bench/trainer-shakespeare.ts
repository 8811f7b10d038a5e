/**
 * Benchmark: a tiny char-level model trained from scratch on tinyshakespeare; prints the unigram
 * entropy, the validation loss after training, steps and seconds.
 *   npx tsx test/bench/trainer-shakespeare.ts [model config JSON] [hyperparameters JSON] [train chars]
 */
import { initBackend } from '../../runner/backend';
import { runSession } from '../../runner/train/session';
import { shakespeare } from '../integration/runner/fixtures';

function unigramEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / text.length) * Math.log(n / text.length);
  return h;
}

async function main() {
  const backend = await initBackend({ log: () => undefined });
  const text = shakespeare();
  const model = JSON.parse(
    process.argv[2] ??
      '{"model_type":"llama","hidden_size":32,"intermediate_size":64,"num_hidden_layers":1,"num_attention_heads":4,"max_position_embeddings":32,"tie_word_embeddings":false}',
  );
  const hp = JSON.parse(
    process.argv[3] ??
      '{"n_epochs":1,"batch_size":16,"learning_rate":0.02,"warmup_steps":5,"lr_scheduler":"cosine","weight_decay":0,"max_sequence_length":32,"metrics_interval_steps":10,"eval_interval_steps":1000,"seed":1}',
  );
  const chars = Number(process.argv[4] ?? 30000);
  const validation = text.slice(-6000);
  const t0 = performance.now();
  const { result } = await runSession({
    model: { config: model },
    train: text.slice(0, chars),
    validation,
    hyperparameters: hp,
    sink: {
      metrics: (m) =>
        console.log(
          JSON.stringify({
            step: m.step,
            train_loss: m.train_loss,
            valid_loss: m.valid_loss,
            full_valid_loss: m.full_valid_loss,
            tokens_per_second: Math.round(m.tokens_per_second),
          }),
        ),
    },
  });
  console.log(
    JSON.stringify({
      backend: backend.description,
      unigram_entropy: unigramEntropy(validation),
      full_valid_loss: result.last?.full_valid_loss,
      steps: result.steps,
      seconds: (performance.now() - t0) / 1000,
    }),
  );
}
main();
