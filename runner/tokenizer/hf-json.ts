/**
 * Pieces of a Hugging Face tokenizer.json, for the tokenizers we write ourselves (char.ts, word.ts):
 * files both tokenizers.js and the Rust `tokenizers` library load, so a tiny model folder is a
 * complete Hugging Face layout.
 */

/** The end-of-text and unknown tokens of the tokenizers we build: ids 0 and 1. */
export const BUILT_EOS = '<|endoftext|>';
export const BUILT_UNK = '<unk>';

/** An `added_tokens` entry for a special token. */
export function addedToken(id: number, content: string, normalized = false) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized, special: true };
}

/**
 * A tokenizer.json whose model is BPE with an empty merge list over `vocab` (tokenizers.js has no
 * WordLevel model; BPE without merges is the equivalent both libraries load), with the end-of-text
 * and unknown tokens as ids 0 and 1, and its tokenizer_config.json.
 */
export function mergelessBpeFiles(opts: {
  vocab: Record<string, number>;
  normalizer: unknown;
  preTokenizer: unknown;
  decoder: unknown;
  /** True: a word in the vocabulary is one token as it is (never built from merges). */
  ignoreMerges: boolean;
  config?: Record<string, unknown>;
}): { json: Record<string, unknown>; config: Record<string, unknown> } {
  return {
    json: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [BUILT_EOS, BUILT_UNK].map((content, id) => addedToken(id, content)),
      normalizer: opts.normalizer,
      pre_tokenizer: opts.preTokenizer,
      post_processor: null,
      decoder: opts.decoder,
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: BUILT_UNK,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: opts.ignoreMerges,
        vocab: opts.vocab,
        merges: [],
      },
    },
    config: {
      tokenizer_class: 'PreTrainedTokenizerFast',
      eos_token: BUILT_EOS,
      pad_token: BUILT_EOS,
      unk_token: BUILT_UNK,
      ...opts.config,
    },
  };
}
