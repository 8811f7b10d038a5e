/**
 * Benchmark: a tiny word-level classifier on the sentiment sentences (Kotzias et al., KDD 2015)
 * with early stopping; prints held-out accuracy, steps and seconds.
 *   npx tsx test/bench/trainer-sentiment.ts [model config JSON] [hyperparameters JSON]
 */
import { initBackend } from '../../runner/backend';
import { buildWordTokenizerFiles } from '../../runner/tokenizer/word';
import { heldOutAccuracy } from '../../runner/train/classify';
import { runSession } from '../../runner/train/session';
import { sentimentSplit, toJsonl } from '../integration/runner/fixtures';

async function main() {
  const backend = await initBackend({ log: () => undefined });
  const { train, test } = sentimentSplit();
  const fit = train.filter((_, i) => i % 8 !== 0);
  const valid = train.filter((_, i) => i % 8 === 0);
  const model = JSON.parse(
    process.argv[2] ??
      '{"model_type":"llama","hidden_size":32,"intermediate_size":64,"num_hidden_layers":1,"num_attention_heads":4,"max_position_embeddings":32,"tie_word_embeddings":false}',
  );
  const hp = JSON.parse(
    process.argv[3] ??
      '{"n_epochs":4,"batch_size":32,"learning_rate":0.01,"warmup_steps":5,"lr_scheduler":"constant","weight_decay":0,"max_sequence_length":32,"metrics_interval_steps":10,"eval_interval_steps":20,"seed":1,"early_stopping":{"metric":"accuracy","patience":3,"min_delta":0.005,"restore_best":true}}',
  );
  const tokenizer = buildWordTokenizerFiles(
    fit.map((s) => s.text),
    Number(process.env.WORDS ?? 2000),
  );
  const t0 = performance.now();
  const s = await runSession({
    model: { config: model, tokenizer },
    train: toJsonl(fit),
    validation: toJsonl(valid),
    hyperparameters: hp,
    sink: {
      metrics: (m) =>
        console.log(
          JSON.stringify({
            step: m.step,
            train_loss: m.train_loss,
            full_valid_loss: m.full_valid_loss,
            accuracy: m.accuracy,
          }),
        ),
      message: (_l, t) => console.log(t),
    },
  });
  const acc = await heldOutAccuracy(
    s.model,
    s.tokenizer,
    test,
    s.train.labels!,
    s.config.hyperparameters.max_sequence_length,
  );
  console.log(
    JSON.stringify({
      backend: backend.description,
      held_out_accuracy: acc,
      held_out: test.length,
      status: s.result.status,
      steps: s.result.steps,
      best_step: s.result.bestStep,
      seconds: (performance.now() - t0) / 1000,
    }),
  );
}
main();
