/**
 * Real data: a tiny char-level Llama (untied output head) trained from scratch on tinyshakespeare (public domain,
 * karpathy/char-rnn) must bring validation loss well below the unigram entropy of the text: it
 * has to learn which character follows which, not just how often each occurs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../runner/backend';
import { runSession } from '../../../runner/train/session';
import type { MetricsReport } from '../../../runner/train';
import { shakespeare, TINY_LLAMA, unigramEntropy } from './fixtures';

// The backend the trainer would pick (runner/native kernels when built, else pure JS): both pass.
beforeAll(() => initBackend({ log: () => undefined }));

describe('tinyshakespeare, char-level Llama from scratch', () => {
  it('validation loss falls well below the unigram entropy', async () => {
    const text = shakespeare();
    const train = text.slice(0, 30_000);
    const validation = text.slice(-6_000);
    const entropy = unigramEntropy(validation);
    const metrics: MetricsReport[] = [];
    const t0 = performance.now();
    const { result, model } = await runSession({
      model: { config: TINY_LLAMA },
      train,
      validation,
      hyperparameters: {
        n_epochs: 1,
        batch_size: 16,
        learning_rate: 2e-2,
        warmup_steps: 5,
        lr_scheduler: 'cosine',
        weight_decay: 0,
        max_sequence_length: 32,
        metrics_interval_steps: 10,
        eval_interval_steps: 1000,
        seed: 1,
        sampling: { strategy: 'shuffle' },
      },
      sink: { metrics: (m) => void metrics.push(m) },
    });
    const seconds = (performance.now() - t0) / 1000;
    const final = result.last!.full_valid_loss!;
    console.log(
      JSON.stringify({
        unigram_entropy: entropy,
        first_train_loss: metrics[0].train_loss,
        full_valid_loss: final,
        steps: result.steps,
        seconds,
      }),
    );
    expect(final).toBeLessThan(entropy - 0.5);
    model.dispose();
  }, 300_000);
});
