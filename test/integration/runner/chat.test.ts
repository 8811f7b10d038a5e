/**
 * Chat fine-tuning end to end on the built-in base model: only assistant turns are learned, so a
 * run teaches the model the assistant's (fixed) reply while user turns and weight-0 assistant turns stay
 * unlearned context.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../runner/backend';
import { runSession } from '../../../runner/train/session';
import { shakespeare } from './fixtures';

beforeAll(() => initBackend({ log: () => undefined }));

describe('chat fine-tuning of tuneplane-tiny-char', () => {
  it('learns the assistant replies (token accuracy on them rises sharply), honouring weight 0', async () => {
    const text = shakespeare();
    const row = (i: number) =>
      JSON.stringify({
        messages: [
          { role: 'system', content: 'Answer briefly.' },
          { role: 'user', content: text.slice(i * 40, i * 40 + 30) },
          { role: 'assistant', content: text.slice(i * 40 + 5000, i * 40 + 5020), weight: 0 },
          { role: 'user', content: 'again?' },
          { role: 'assistant', content: 'aye, my lord.' },
        ],
      });
    const jsonl = (from: number, n: number) => Array.from({ length: n }, (_, i) => row(from + i)).join('\n');
    const { result, model } = await runSession({
      model: { folder: path.resolve(import.meta.dirname, '../../../runner/base-models/tuneplane-tiny-char') },
      train: jsonl(0, 48),
      validation: jsonl(100, 8),
      hyperparameters: {
        n_epochs: 2,
        batch_size: 8,
        learning_rate: 5e-3,
        warmup_steps: 2,
        metrics_interval_steps: 3,
        eval_interval_steps: 100,
        seed: 3,
      },
    });
    const last = result.last!;
    // 14 learned tokens per example ("aye, my lord." + end): a model that learned them predicts most.
    // The weight-0 reply is 20 characters of unpredictable Shakespeare: were it counted, accuracy would sink below 0.6.
    expect(last.full_valid_mean_token_accuracy!).toBeGreaterThan(0.8);
    expect(last.full_valid_loss!).toBeLessThan(1);
    model.dispose();
  }, 300_000);
});
