/**
 * A word-level tokenizer written as an ordinary Hugging Face tokenizer.json, for tiny models whose
 * inputs are short sentences (classification): lower-casing normaliser, the `Whitespace`
 * pre-tokenizer (words and punctuation runs), and a BPE model with `ignore_merges: true` whose
 * vocabulary is the `maxWords` most frequent words plus every character seen. A known word is one
 * token; an unknown word falls back to its characters (never to <unk> alone, so nothing is lost).
 * Both the Rust `tokenizers` library and tokenizers.js load it.
 */
const EOS = '<|endoftext|>';
const UNK = '<unk>';

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
  [EOS, UNK, ...[...chars].sort(), ...words].forEach((t) => (vocab[t] ??= Object.keys(vocab).length));
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [EOS, UNK].map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: UNK,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: true,
      vocab,
      merges: [],
    },
  };
  return {
    json,
    config: { tokenizer_class: 'PreTrainedTokenizerFast', eos_token: EOS, pad_token: EOS, unk_token: UNK },
  };
}
