/**
 * A word-level tokenizer written as an ordinary Hugging Face tokenizer.json, for tiny models whose
 * inputs are short sentences (classification): lower-casing normaliser, the `Whitespace`
 * pre-tokenizer (words and punctuation runs), and a BPE model with `ignore_merges: true` whose
 * vocabulary is the `maxWords` most frequent words plus every character seen. A known word is one
 * token; an unknown word falls back to its characters (never to <unk> alone, so nothing is lost).
 * Both the Rust `tokenizers` library and tokenizers.js load it.
 */
import { BUILT_EOS, BUILT_UNK, mergelessBpeFiles } from './hf-json';

export function buildWordTokenizerFiles(
  corpus: Iterable<string>,
  maxWords: number,
): { json: unknown; config: Record<string, unknown> } {
  const counts = new Map<string, number>();
  const chars = new Set<string>();
  for (const text of corpus) {
    for (const w of text.toLowerCase().match(/\w+|[^\w\s]+/gu) ?? []) {
      counts.set(w, (counts.get(w) ?? 0) + 1);
      for (const c of w) chars.add(c);
    }
  }
  // Frequency, then alphabetical: deterministic for a given corpus.
  const words = [...counts]
    .filter(([w]) => [...w].length > 1)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, maxWords)
    .map(([w]) => w);
  const vocab: Record<string, number> = {};
  [BUILT_EOS, BUILT_UNK, ...[...chars].sort(), ...words].forEach(
    (t) => (vocab[t] ??= Object.keys(vocab).length),
  );
  return mergelessBpeFiles({
    vocab,
    normalizer: { type: 'Lowercase' },
    preTokenizer: { type: 'Whitespace' },
    decoder: null,
    ignoreMerges: true,
  });
}
