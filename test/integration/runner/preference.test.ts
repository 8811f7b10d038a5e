/**
 * DPO learns a preference it was never told: synthetic pairs whose preferred answer follows a rule
 * the other answer breaks. The user says "shout <word>" or "whisper <word>"; the preferred answer is
 * the word in capitals after "shout" and in small letters after "whisper", the other answer the
 * opposite. Both answers are the same word, so only the rule (which depends on the prompt) tells
 * them apart.
 *
 * Measured on 128 held-out pairs the model never trained on:
 *  - before: how often the starting model's own likelihood ranks the preferred answer first
 *    (its implicit reward is 0 for every answer before training, so this is the meaningful figure):
 *    about 50 %, a coin flip;
 *  - after: how often the trained model's implicit reward β·(log πθ − log πref) ranks the preferred
 *    answer first (what DPO optimises; TRL's rewards/accuracies): at least 90 %.
 *
 * Measured on this machine (seed 1, native kernels): before 0.42, after 1.00 (the likelihood ranking
 * after: 1.00 too), 128 steps in ~12 s.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../runner/backend';
import { encodeRecords, parseJsonl } from '../../../runner/data';
import { loadPretrained, memoryModelFolder, savePretrained } from '../../../runner/io';
import { createModel, parseModelConfig } from '../../../runner/model';
import { buildCharTokenizer } from '../../../runner/tokenizer';
import { pairLogps } from '../../../runner/train/dpo';
import type { MetricsReport } from '../../../runner/train/sink';
import { runSession } from '../../../runner/train/session';
import { TINY_LLAMA, toJsonl } from './fixtures';

beforeAll(() => initBackend({ log: () => undefined }));

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** n pairs from a seeded generator: OpenAI's preference format. */
function pairs(n: number, seed: number): object[] {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648), x / 2147483648);
  return Array.from({ length: n }, () => {
    const word = Array.from(
      { length: 3 + Math.floor(rnd() * 3) },
      () => LETTERS[Math.floor(rnd() * 26)],
    ).join('');
    const shout = rnd() < 0.5;
    const [preferred, other] = shout ? [word.toUpperCase(), word] : [word, word.toUpperCase()];
    return {
      input: { messages: [{ role: 'user', content: `${shout ? 'shout' : 'whisper'} ${word}` }] },
      preferred_output: [{ role: 'assistant', content: preferred }],
      non_preferred_output: [{ role: 'assistant', content: other }],
    };
  });
}

const share = (n: number, test: (i: number) => boolean) =>
  Array.from({ length: n }, (_, i) => i).filter(test).length / n;

describe('DPO on synthetic preference pairs', () => {
  it('raises held-out preference accuracy from about 50 % to at least 90 %', async () => {
    const tok = buildCharTokenizer(`shout whisper user: assistant: ${LETTERS}${LETTERS.toUpperCase()}`);
    const config = { ...TINY_LLAMA, max_position_embeddings: 48, vocab_size: tok.vocabSize };
    const start = memoryModelFolder();
    const fresh = createModel(parseModelConfig(config), { seed: 1 });
    await savePretrained(start, fresh, tok);
    fresh.dispose();

    const heldOut = pairs(128, 99);
    const encoded = encodeRecords(parseJsonl(toJsonl(heldOut)), tok, { maxLength: 48 });
    expect(encoded.examples).toHaveLength(128);
    const initial = await loadPretrained(start);
    const before = await pairLogps(initial.model, encoded, tok.padId, 64);
    initial.model.dispose();

    const metrics: MetricsReport[] = [];
    const t0 = performance.now();
    const session = await runSession({
      model: { folder: start },
      train: toJsonl(pairs(512, 1)),
      validation: toJsonl(pairs(32, 7)),
      hyperparameters: {
        n_epochs: 4,
        batch_size: 16,
        learning_rate: 3e-3,
        beta: 0.1,
        max_sequence_length: 48,
        metrics_interval_steps: 8,
        seed: 1,
      },
      sink: { metrics: (m) => void metrics.push(m) },
    });
    const seconds = (performance.now() - t0) / 1000;
    const after = await pairLogps(session.model, encoded, tok.padId, 64);
    session.model.dispose();

    const n = heldOut.length;
    const likelihoodBefore = share(n, (i) => before[2 * i] > before[2 * i + 1]);
    const rewardAfter = share(n, (i) => after[2 * i] - before[2 * i] > after[2 * i + 1] - before[2 * i + 1]);
    const likelihoodAfter = share(n, (i) => after[2 * i] > after[2 * i + 1]);
    const last = metrics.at(-1)!;
    console.log(
      JSON.stringify({
        held_out_pairs: n,
        preference_accuracy_before: likelihoodBefore,
        reward_accuracy_after: rewardAfter,
        likelihood_accuracy_after: likelihoodAfter,
        valid_rewards_accuracy: last.valid_rewards_accuracy,
        valid_rewards_margin: last.valid_rewards_margin,
        steps: session.result.steps,
        seconds,
      }),
    );
    expect(likelihoodBefore).toBeGreaterThan(0.35);
    expect(likelihoodBefore).toBeLessThan(0.65);
    expect(rewardAfter).toBeGreaterThanOrEqual(0.9);
    expect(last.valid_rewards_accuracy).toBeGreaterThanOrEqual(0.9);
    expect(last.train_loss).toBeLessThan(Math.log(2));
  }, 300_000);
});
