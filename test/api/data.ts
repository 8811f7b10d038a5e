/**
 * Training data for API tests, derived deterministically from the committed fixtures
 * (test/fixtures/sentiment: Kotzias et al., KDD 2015, UCI "Sentiment Labelled Sentences").
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** `[sentence, 0|1]` pairs from the Amazon reviews file, in file order. */
export function sentiment(n: number, offset = 0): [string, number][] {
  const text = readFileSync(path.join(here, '../fixtures/sentiment/amazon_cells_labelled.txt'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.includes('\t'))
    .slice(offset, offset + n)
    .map((l) => {
      const [s, y] = l.split('\t');
      return [s.trim(), Number(y)];
    });
}

export const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

export function chatJsonl(
  n: number,
  offset = 0,
  extra: (i: number) => Record<string, unknown> = () => ({}),
): string {
  return jsonl(
    sentiment(n, offset).map(([s, y], i) => ({
      messages: [
        { role: 'system', content: 'Classify the review as positive or negative.' },
        { role: 'user', content: s },
        { role: 'assistant', content: y ? 'positive' : 'negative' },
      ],
      ...extra(i),
    })),
  );
}

export function classificationJsonl(n: number, offset = 0): string {
  return jsonl(sentiment(n, offset).map(([s, y]) => ({ text: s, label: y ? 'positive' : 'negative' })));
}

export function promptCompletionJsonl(n: number, offset = 0): string {
  return jsonl(
    sentiment(n, offset).map(([s, y]) => ({
      prompt: `Review: ${s}\nSentiment:`,
      completion: y ? ' positive' : ' negative',
    })),
  );
}

/**
 * OpenAI's preference format on the same reviews: the preferred answer names the review's real
 * sentiment, the other answer the opposite one.
 */
export function preferenceJsonl(n: number, offset = 0): string {
  return jsonl(
    sentiment(n, offset).map(([s, y]) => ({
      input: {
        messages: [
          { role: 'system', content: 'Classify the review as positive or negative.' },
          { role: 'user', content: s },
        ],
      },
      preferred_output: [{ role: 'assistant', content: y ? 'positive' : 'negative' }],
      non_preferred_output: [{ role: 'assistant', content: y ? 'negative' : 'positive' }],
    })),
  );
}
