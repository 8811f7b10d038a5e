/**
 * A small deterministic task a model learns in seconds: ten question → answer chats about capital
 * cities. The inference and evals end-to-end tests tune the built-in base model on it and check
 * that the tuned model answers them and the base model does not.
 */
import type OpenAI from 'openai';

export const CAPITALS: [string, string][] = [
  ['capital of France?', 'Paris'],
  ['capital of Spain?', 'Madrid'],
  ['capital of Italy?', 'Rome'],
  ['capital of Japan?', 'Tokyo'],
  ['capital of Egypt?', 'Cairo'],
  ['capital of Peru?', 'Lima'],
  ['capital of Kenya?', 'Nairobi'],
  ['capital of Chile?', 'Santiago'],
  ['capital of Cuba?', 'Havana'],
  ['capital of Norway?', 'Oslo'],
];

/** The built-in base model the tests tune. */
export const CAPITALS_BASE = 'tuneplane-tiny-char';

/** Settings that teach the tiny model the ten answers (our extension: learning rate and warm-up). */
export const CAPITALS_HYPERPARAMETERS = { n_epochs: 20, batch_size: 8, learning_rate: 5e-3, warmup_steps: 2 };

/** The training file: each chat `copies` times, as JSONL. */
export function capitalsJsonl(copies = 4): string {
  return Array.from({ length: copies }, () => CAPITALS)
    .flat()
    .map(([q, a]) =>
      JSON.stringify({
        messages: [
          { role: 'user', content: q },
          { role: 'assistant', content: a },
        ],
      }),
    )
    .join('\n');
}

/**
 * Uploads the task and fine-tunes the base model on it through the `openai` SDK, waiting for the
 * job to succeed; `output` is shown when it does not.
 */
export async function tuneOnCapitals(
  client: OpenAI,
  opts: { timeoutMs: number; output: () => string },
): Promise<{ jobId: string; tuned: string }> {
  const file = await client.files.create({
    file: new File([capitalsJsonl()], 'capitals.jsonl'),
    purpose: 'fine-tune',
  });
  const job = await client.fineTuning.jobs.create({
    model: CAPITALS_BASE,
    training_file: file.id,
    seed: 1,
    method: {
      type: 'supervised',
      supervised: { hyperparameters: CAPITALS_HYPERPARAMETERS as never },
    },
  });
  const end = Date.now() + opts.timeoutMs;
  for (;;) {
    const j = await client.fineTuning.jobs.retrieve(job.id);
    if (j.status === 'succeeded') return { jobId: job.id, tuned: j.fine_tuned_model! };
    if (['failed', 'cancelled'].includes(j.status) || Date.now() > end)
      throw new Error(`job ${j.status}: ${JSON.stringify(j.error)}\n${opts.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
