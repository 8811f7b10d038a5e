/** Deterministic splits of the fixture data (test/fixtures/README.md names sources and licences), and what the real-data tests share. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '../../fixtures');

export function shakespeare(): string {
  return readFileSync(path.join(root, 'tinyshakespeare/input-300k.txt'), 'utf8');
}

export interface Sentence {
  text: string;
  label: string;
}

/** All 3,000 sentences, interleaved by site, in file order. */
export function sentiment(): Sentence[] {
  const sites = ['amazon_cells', 'imdb', 'yelp'].map((s) =>
    readFileSync(path.join(root, `sentiment/${s}_labelled.txt`), 'utf8')
      .split('\n')
      .filter((l) => l.includes('\t'))
      .map((l) => {
        const i = l.lastIndexOf('\t');
        return { text: l.slice(0, i).trim(), label: l.slice(i + 1).trim() === '1' ? 'positive' : 'negative' };
      }),
  );
  const out: Sentence[] = [];
  for (let i = 0; i < 1000; i++) for (const s of sites) if (s[i]) out.push(s[i]);
  return out;
}

/** Every fifth sentence is held out (600), the rest train (2,400). */
export function sentimentSplit(): { train: Sentence[]; test: Sentence[] } {
  const all = sentiment();
  return { train: all.filter((_, i) => i % 5 !== 0), test: all.filter((_, i) => i % 5 === 0) };
}

export const toJsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** The tiny Llama the real-data tests train from scratch (untied output head, 32-token context). */
export const TINY_LLAMA = {
  model_type: 'llama',
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 1,
  num_attention_heads: 4,
  max_position_embeddings: 32,
  tie_word_embeddings: false,
};

/** Entropy (nats) of the character distribution: the best loss without context. */
export function unigramEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / text.length) * Math.log(n / text.length);
  return h;
}
