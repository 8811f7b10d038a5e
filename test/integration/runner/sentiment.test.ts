/**
 * Real data: the sentiment sentences (Kotzias et al., "From Group to Individual Labels using Deep
 * Features", KDD 2015). A tiny Llama classifier with a word-level tokenizer, trained from scratch
 * with early stopping on a validation split, must reach ≥ 75 % accuracy on 600 held-out sentences
 * it never saw (neither for training nor for early stopping).
 *
 * Measured with test/bench/trainer-sentiment.ts on these settings, seeds 1–5: 0.763, 0.770, 0.803,
 * 0.740, 0.765 held-out (native kernels); the test uses seed 1. Tiny models trained from scratch on
 * 2,100 sentences overfit within an epoch, so the margin over 75 % is a few points, not more.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../runner/backend';
import { buildWordTokenizerFiles } from '../../../runner/tokenizer/word';
import { heldOutAccuracy } from '../../../runner/train/classify';
import { runSession } from '../../../runner/train/session';
import { sentimentSplit, TINY_LLAMA, toJsonl } from './fixtures';

// The backend the trainer would pick (runner/native kernels when built, else pure JS): both pass.
beforeAll(() => initBackend({ log: () => undefined }));

describe('sentiment sentences, word-level Llama classifier', () => {
  it('reaches at least 75 % held-out accuracy with early stopping', async () => {
    const { train, test } = sentimentSplit();
    const fit = train.filter((_, i) => i % 8 !== 0);
    const valid = train.filter((_, i) => i % 8 === 0);
    const t0 = performance.now();
    const session = await runSession({
      model: {
        config: TINY_LLAMA,
        tokenizer: buildWordTokenizerFiles(
          fit.map((s) => s.text),
          2000,
        ),
      },
      train: toJsonl(fit),
      validation: toJsonl(valid),
      hyperparameters: {
        n_epochs: 4,
        batch_size: 32,
        learning_rate: 1e-2,
        warmup_steps: 5,
        lr_scheduler: 'linear',
        weight_decay: 0,
        max_sequence_length: 32,
        metrics_interval_steps: 20,
        eval_interval_steps: 20,
        seed: 1,
        early_stopping: { metric: 'accuracy', patience: 3, min_delta: 0.005, restore_best: true },
      },
    });
    const { result } = session;
    const accuracy = await heldOutAccuracy(
      session.model,
      session.tokenizer,
      test,
      session.train.labels!,
      session.config.hyperparameters.max_sequence_length,
    );
    console.log(
      JSON.stringify({
        held_out_accuracy: accuracy,
        held_out: test.length,
        status: result.status,
        steps: result.steps,
        best_step: result.bestStep,
        seconds: (performance.now() - t0) / 1000,
      }),
    );
    expect(session.train.labels).toEqual(['negative', 'positive']);
    expect(accuracy).toBeGreaterThanOrEqual(0.75);
    session.model.dispose();
  }, 600_000);
});
