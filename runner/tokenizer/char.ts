/**
 * A character-level tokenizer for tiny models, written as an ordinary HF tokenizer.json so a tiny
 * model folder is a complete Hugging Face layout: a BPE model whose vocabulary is the special tokens
 * plus single characters and whose merge list is empty (so BPE never joins characters), no
 * pre-tokenizer (spaces and newlines are characters like any other) and the Fuse decoder
 * (concatenate tokens; without a decoder HF would join them with spaces). Characters outside the
 * vocabulary map to <unk>. tokenizers.js has no WordLevel model; BPE-without-merges is the
 * equivalent that both it and the Rust `tokenizers` library load.
 */
import { loadTokenizer, type TextTokenizer } from './tokenizer';

export const CHAR_EOS = '<|endoftext|>';
export const CHAR_UNK = '<unk>';

export function buildCharTokenizer(
  corpus: string | Iterable<string>,
  opts: { modelMaxLength?: number } = {},
): TextTokenizer {
  const chars = new Set<string>();
  for (const text of typeof corpus === 'string' ? [corpus] : corpus) for (const ch of text) chars.add(ch);
  const specials = [CHAR_EOS, CHAR_UNK];
  const sorted = [...chars]
    .filter((c) => !specials.includes(c))
    .sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const vocab: Record<string, number> = {};
  [...specials, ...sorted].forEach((token, id) => (vocab[token] = id));
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: CHAR_UNK,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
  const tokenizerConfig: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    eos_token: CHAR_EOS,
    pad_token: CHAR_EOS,
    unk_token: CHAR_UNK,
    clean_up_tokenization_spaces: false,
    ...(opts.modelMaxLength ? { model_max_length: opts.modelMaxLength } : {}),
  };
  return loadTokenizer(tokenizerJson, tokenizerConfig);
}
