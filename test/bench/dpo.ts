/**
 * `npm run bench:dpo`: the time of a DPO step against a supervised step on the same model, measured
 * side by side in one process through the trainer itself (runner/train/session).
 *
 * Both runs see the same prompts and answers: the supervised run learns the preferred answer of
 * each pair (chat data), the DPO run the pair (preference data), at the same batch size in
 * examples. A DPO step therefore runs two sequences per example (preferred and other) where a
 * supervised step runs one, so about 2× is the expected ratio; what the DPO loss adds on top
 * (per-row log-probability gather, the sigmoid loss) is the excess. The reference pass (one
 * forward pass over every pair before training) is timed on its own.
 *
 * Per-step time is the wall time between the first and the last metrics report (one per step), so
 * start-up, tokenization and the reference pass are not in it.
 */
import { initBackend } from '../../runner/backend';
import { encodeRecords, parseJsonl } from '../../runner/data';
import { loadPretrained, memoryModelFolder, savePretrained } from '../../runner/io';
import { createModel, parseModelConfig } from '../../runner/model';
import { nativeStatus } from '../../runner/native';
import { buildCharTokenizer } from '../../runner/tokenizer';
import { pairLogps } from '../../runner/train/dpo';
import { runSession } from '../../runner/train/session';

const STEPS = Number(process.env.BENCH_STEPS ?? 12);
const BATCH = 8;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function rows(n: number) {
  let x = 7;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648), x / 2147483648);
  const word = (len: number) => Array.from({ length: len }, () => LETTERS[Math.floor(rnd() * 26)]).join('');
  return Array.from({ length: n }, () => {
    const prompt = `${word(20)} ${word(12)}`;
    const answer = word(24);
    return { prompt, preferred: answer, other: answer.toUpperCase() };
  });
}

async function main() {
  await initBackend({ log: () => undefined });
  const tok = buildCharTokenizer(`user: assistant: ${LETTERS}${LETTERS.toUpperCase()}`);
  const config = {
    model_type: 'gpt2',
    vocab_size: tok.vocabSize,
    n_positions: 96,
    n_embd: 256,
    n_layer: 4,
    n_head: 4,
  };
  const folder = memoryModelFolder();
  const model = createModel(parseModelConfig(config), { seed: 1 });
  await savePretrained(folder, model, tok);
  model.dispose();

  const data = rows(BATCH * STEPS);
  const chat = data
    .map((r) =>
      JSON.stringify({
        messages: [
          { role: 'user', content: r.prompt },
          { role: 'assistant', content: r.preferred },
        ],
      }),
    )
    .join('\n');
  const pairs = data
    .map((r) =>
      JSON.stringify({
        input: { messages: [{ role: 'user', content: r.prompt }] },
        preferred_output: [{ role: 'assistant', content: r.preferred }],
        non_preferred_output: [{ role: 'assistant', content: r.other }],
      }),
    )
    .join('\n');
  const hyperparameters = {
    n_epochs: 1,
    batch_size: BATCH,
    learning_rate: 1e-4,
    max_sequence_length: 96,
    metrics_interval_steps: 1,
    seed: 1,
  };

  async function msPerStep(train: string, extra: Record<string, unknown>): Promise<number> {
    const at: number[] = [];
    const s = await runSession({
      model: { folder },
      train,
      hyperparameters: { ...hyperparameters, ...extra },
      sink: { metrics: () => void at.push(performance.now()) },
    });
    s.model.dispose();
    return (at[at.length - 1] - at[0]) / (at.length - 1);
  }

  const supervised = await msPerStep(chat, {});
  const dpo = await msPerStep(pairs, { beta: 0.1 });
  const supervisedAgain = await msPerStep(chat, {});

  const start = await loadPretrained(folder);
  const encoded = encodeRecords(parseJsonl(pairs), tok, { maxLength: 96 });
  const t0 = performance.now();
  await pairLogps(start.model, encoded, tok.padId, BATCH);
  const referenceMs = performance.now() - t0;
  start.model.dispose();

  const sft = (supervised + supervisedAgain) / 2;
  console.log(
    [
      `model: GPT-2 ${config.n_layer} layers × ${config.n_embd}, char vocab ${config.vocab_size}; batch ${BATCH} examples of ~${encoded.examples.get(0).ids.length} tokens; ${STEPS} steps each`,
      `backend: ${nativeStatus().active ? `native kernels (${nativeStatus().blas ?? 'no BLAS'}, ${nativeStatus().threads} threads)` : 'pure-JS kernels'}`,
      `supervised step: ${supervised.toFixed(1)} ms, again ${supervisedAgain.toFixed(1)} ms (mean ${sft.toFixed(1)} ms)`,
      `DPO step:        ${dpo.toFixed(1)} ms (${BATCH} pairs = ${2 * BATCH} sequences)`,
      `DPO / supervised: ${(dpo / sft).toFixed(2)}× (two sequences per example: ~2× expected)`,
      `reference pass (once, before training, forward only over ${BATCH * STEPS} pairs): ${referenceMs.toFixed(0)} ms = ${(referenceMs / STEPS).toFixed(1)} ms per step's worth of pairs`,
    ].join('\n'),
  );
}

void main();
